namespace CrossLogic.Agent.Staging;

/// <summary>Where models come from and how they are fetched: the <c>Staging</c> configuration section.</summary>
public sealed class StagingOptions
{
    public const string SectionName = "Staging";

    /// <summary>The S3 ServiceURL (R2: <c>https://&lt;account&gt;.r2.cloudflarestorage.com</c>); empty means AWS S3 in <see cref="Region"/>.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>The signing region: <c>auto</c> for R2; a real region (us-east-1) for AWS S3.</summary>
    public string Region { get; set; } = "auto";

    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Empty: taken from <c>AWS_ACCESS_KEY_ID</c>.</summary>
    public string AccessKeyId { get; set; } = "";

    /// <summary>Empty: taken from <c>AWS_SECRET_ACCESS_KEY</c>.</summary>
    public string SecretAccessKey { get; set; } = "";

    /// <summary>The root of <see cref="ModelCache"/>: one directory per model.</summary>
    public string CacheDirectory { get; set; } = "";

    /// <summary>The most bytes the cache holds before it evicts the least recently used models; 0 means no limit.</summary>
    public long CacheBudgetBytes { get; set; }

    /// <summary>Files downloaded at once.</summary>
    public int FileConcurrency { get; set; } = 4;

    /// <summary>The size of one ranged GET.</summary>
    public long PartSizeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Ranged GETs in flight in the whole process (shared by every model being staged).</summary>
    public int PartConcurrency { get; set; } = 8;

    /// <summary>Attempts per request before a transient error (5xx, timeout, reset) becomes a failure.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How long a request may wait for its response headers, or for the next MiB of its body.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public const long MinPartSizeBytes = 1024 * 1024;
    public const long MaxPartSizeBytes = 1024L * 1024 * 1024;

    /// <summary>Every problem with these options, each naming its key; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate() => Validate(Environment.GetEnvironmentVariable);

    internal IReadOnlyList<string> Validate(Func<string, string?> environment, bool requireCredentials = true)
    {
        var errors = new List<string>();
        var key = (string name) => $"{SectionName}:{name}";

        if (Endpoint.Length > 0
            && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            errors.Add($"{key(nameof(Endpoint))} must be an absolute http(s) URL such as https://<account>.r2.cloudflarestorage.com, not '{Endpoint}'.");
        }

        if (string.IsNullOrWhiteSpace(Region))
        {
            errors.Add($"{key(nameof(Region))} is required ('auto' for R2).");
        }
        else if (Endpoint.Length == 0 && Region == "auto")
        {
            errors.Add($"{key(nameof(Region))} must name an AWS region (such as us-east-1) when {key(nameof(Endpoint))} is empty; 'auto' is for R2.");
        }

        var credentials = ResolveCredentials(environment);
        if (credentials is null && requireCredentials)
        {
            errors.Add($"{key(nameof(AccessKeyId))} and {key(nameof(SecretAccessKey))} are required: set both, or the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
        }

        if (CacheBudgetBytes < 0)
        {
            errors.Add($"{key(nameof(CacheBudgetBytes))} must be 0 (no limit) or a positive number of bytes, not {CacheBudgetBytes}.");
        }

        if (FileConcurrency is < 1 or > 64)
        {
            errors.Add($"{key(nameof(FileConcurrency))} must be between 1 and 64, not {FileConcurrency}.");
        }

        if (PartSizeBytes is < MinPartSizeBytes or > MaxPartSizeBytes)
        {
            errors.Add($"{key(nameof(PartSizeBytes))} must be between {MinPartSizeBytes} (1 MiB) and {MaxPartSizeBytes} (1 GiB), not {PartSizeBytes}.");
        }

        if (PartConcurrency is < 1 or > 256)
        {
            errors.Add($"{key(nameof(PartConcurrency))} must be between 1 and 256, not {PartConcurrency}.");
        }

        if (MaxAttempts is < 1 or > 20)
        {
            errors.Add($"{key(nameof(MaxAttempts))} must be between 1 and 20, not {MaxAttempts}.");
        }

        if (ReadTimeout <= TimeSpan.Zero || ReadTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"{key(nameof(ReadTimeout))} must be positive and at most an hour, not {ReadTimeout}.");
        }

        return errors;
    }

    /// <summary>Throws a <see cref="StagingException"/> listing every problem, for code paths that cannot go on without valid options.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new StagingException("Invalid staging options: " + string.Join(" ", errors));
        }
    }

    /// <summary>The key pair from these options, else from the environment; null when neither holds both halves.</summary>
    internal StagingCredentials? ResolveCredentials(Func<string, string?> environment)
    {
        var accessKeyId = AccessKeyId.Length > 0 ? AccessKeyId : environment("AWS_ACCESS_KEY_ID") ?? "";
        var secretAccessKey = SecretAccessKey.Length > 0 ? SecretAccessKey : environment("AWS_SECRET_ACCESS_KEY") ?? "";
        return accessKeyId.Length > 0 && secretAccessKey.Length > 0 ? new StagingCredentials(accessKeyId, secretAccessKey) : null;
    }

    // Never the keys: options end up in logs and exception messages.
    public override string ToString() =>
        $"Endpoint={(Endpoint.Length > 0 ? Endpoint : "(AWS S3)")}, Region={Region}, ForcePathStyle={ForcePathStyle}, " +
        $"FileConcurrency={FileConcurrency}, PartSizeBytes={PartSizeBytes}, PartConcurrency={PartConcurrency}, MaxAttempts={MaxAttempts}";
}

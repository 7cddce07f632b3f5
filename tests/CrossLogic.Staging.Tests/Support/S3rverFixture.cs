using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using CrossLogic.Agent.Staging;

namespace CrossLogic.Staging.Tests.Support;

/// <summary>One s3rver for the staging tests; each test makes its own bucket and temporary directories.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "crosslogic-staging-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private S3rverProcess? _server;
    private IAmazonS3? _client;
    private int _buckets;

    public string Endpoint => _server!.Endpoint;

    /// <summary>An unwrapped client for arranging buckets and objects.</summary>
    public IAmazonS3 Client => _client!;

    public async Task InitializeAsync()
    {
        _server = await S3rverProcess.StartAsync(Path.Combine(_root, "s3rver"), TimeSpan.FromSeconds(30));
        _client = S3ClientFactory.Create(Options());
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Options for this server: 1 MiB parts, so that a few MiB make a multi-part file.</summary>
    public StagingOptions Options() => new()
    {
        Endpoint = Endpoint,
        Region = "us-east-1",
        AccessKeyId = S3rverProcess.AccessKey,
        SecretAccessKey = S3rverProcess.SecretKey,
        PartSizeBytes = 1024 * 1024,
        PartConcurrency = 4,
        FileConcurrency = 3,
        MaxAttempts = 4,
        ReadTimeout = TimeSpan.FromSeconds(20),
    };

    public string NewDirectory(string name)
    {
        var path = Path.Combine(_root, $"{name}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(path);
        return path;
    }

    public async Task<string> NewBucketAsync()
    {
        var bucket = $"models-{Interlocked.Increment(ref _buckets)}-{Guid.NewGuid().ToString("N")[..6]}";
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        return bucket;
    }

    public async Task PutAsync(string bucket, string key, byte[] content, string? sha256Metadata = null)
    {
        // s3rver stores aws-chunked bodies verbatim (chunk signatures and all): send a plain signed body.
        var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(content), UseChunkEncoding = false };
        if (sha256Metadata is not null)
        {
            request.Metadata.Add("sha256", sha256Metadata);
        }

        await Client.PutObjectAsync(request);
    }

    /// <summary>Uploads the files under the prefix, with a SHA256SUMS unless told otherwise (overrides replace listed hashes or add lines).</summary>
    public async Task<S3ModelLocation> UploadModelAsync(
        string bucket,
        string prefix,
        IReadOnlyDictionary<string, byte[]> files,
        bool manifest = true,
        IReadOnlyDictionary<string, string>? manifestOverrides = null)
    {
        foreach (var (path, content) in files)
        {
            await PutAsync(bucket, prefix + path, content);
        }

        if (manifest)
        {
            var sums = new StringBuilder();
            foreach (var (path, content) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                var sha = manifestOverrides?.GetValueOrDefault(path) ?? Sha256(content);
                sums.Append(sha).Append("  ").Append(path).Append('\n');
            }

            foreach (var (path, sha) in manifestOverrides?.Where(o => !files.ContainsKey(o.Key)) ?? [])
            {
                sums.Append(sha).Append("  ").Append(path).Append('\n');
            }

            await PutAsync(bucket, prefix + Sha256Sums.ObjectName, Encoding.UTF8.GetBytes(sums.ToString()));
        }

        return S3ModelLocation.Parse($"s3://{bucket}/{prefix}");
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}

[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}

namespace CrossLogic.Agent.Staging;

/// <summary>A resolved key pair; its ToString never shows the keys.</summary>
internal sealed class StagingCredentials(string accessKeyId, string secretAccessKey)
{
    public string AccessKeyId { get; } = accessKeyId;

    public string SecretAccessKey { get; } = secretAccessKey;

    /// <summary>The text with either key replaced, for any message that quotes a server or the SDK.</summary>
    public string Redact(string text)
    {
        if (AccessKeyId.Length > 0)
        {
            text = text.Replace(AccessKeyId, "***", StringComparison.Ordinal);
        }

        return SecretAccessKey.Length > 0 ? text.Replace(SecretAccessKey, "***", StringComparison.Ordinal) : text;
    }

    public override string ToString() => "StagingCredentials(***)";
}

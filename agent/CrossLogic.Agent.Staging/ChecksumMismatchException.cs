namespace CrossLogic.Agent.Staging;

/// <summary>A file's bytes did not match its published hash, twice in a row: the object in the bucket is not what its manifest says.</summary>
public sealed class ChecksumMismatchException : FileStagingException
{
    public ChecksumMismatchException()
    {
    }

    public ChecksumMismatchException(string message)
        : base(message)
    {
    }

    public ChecksumMismatchException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public ChecksumMismatchException(string relativePath, VerificationMethod method, string expected, string actual)
        : base(relativePath, $"{Describe(method)} mismatch after a re-fetch: expected {expected}, got {actual}. The object in the bucket does not match its published hash; re-upload it or fix the manifest.")
    {
        Method = method;
        Expected = expected;
        Actual = actual;
    }

    public VerificationMethod Method { get; }

    public string Expected { get; } = "";

    public string Actual { get; } = "";

    private static string Describe(VerificationMethod method) => method switch
    {
        VerificationMethod.Sha256Manifest => $"sha256 (from {Sha256Sums.ObjectName})",
        VerificationMethod.Sha256Metadata => "sha256 (from x-amz-meta-sha256)",
        VerificationMethod.EtagMd5 => "md5 (from the single-part ETag)",
        _ => method.ToString(),
    };
}

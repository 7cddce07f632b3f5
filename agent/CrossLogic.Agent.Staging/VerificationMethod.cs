namespace CrossLogic.Agent.Staging;

/// <summary>What a staged file was checked against, strongest first.</summary>
public enum VerificationMethod
{
    /// <summary>The sha256 listed for the file in the model's <c>SHA256SUMS</c> object.</summary>
    Sha256Manifest,

    /// <summary>The object's <c>x-amz-meta-sha256</c> user metadata.</summary>
    Sha256Metadata,

    /// <summary>The MD5 that a single-part upload's ETag is (never a multipart <c>…-N</c> ETag).</summary>
    EtagMd5,

    /// <summary>Nothing but the size: the model publishes no hash for this file.</summary>
    SizeOnly,
}

namespace CrossLogic.Agent.Staging;

/// <summary>One file of a staged model: how it was checked and how much of it came over the network this time.</summary>
public sealed record StagedFile(
    string RelativePath,
    long Size,
    VerificationMethod Verification,
    string? Digest,
    StagedFileOrigin Origin,
    long BytesDownloaded);

/// <summary>Where a staged file's bytes came from in this run.</summary>
public enum StagedFileOrigin
{
    /// <summary>Fetched whole.</summary>
    Downloaded,

    /// <summary>Finished from the parts an interrupted run left in its <c>.partial</c> file.</summary>
    Resumed,

    /// <summary>Already present and verified: nothing fetched.</summary>
    Reused,
}

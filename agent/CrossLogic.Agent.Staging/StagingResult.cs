namespace CrossLogic.Agent.Staging;

/// <summary>A model staged into <see cref="Directory"/>: every file present and verified as <see cref="StagedFile.Verification"/> says.</summary>
public sealed record StagingResult(
    S3ModelLocation Location,
    string Directory,
    IReadOnlyList<StagedFile> Files,
    long TotalBytes,
    long BytesDownloaded,
    long BytesReused,
    TimeSpan Duration,
    int Retries)
{
    /// <summary>False when some file had no published hash and was checked by its size only.</summary>
    public bool FullyVerified => Files.All(f => f.Verification != VerificationMethod.SizeOnly);

    public IReadOnlyList<string> SizeOnlyFiles => [.. Files.Where(f => f.Verification == VerificationMethod.SizeOnly).Select(f => f.RelativePath)];
}

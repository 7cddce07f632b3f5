namespace CrossLogic.Agent.Staging;

/// <summary>A snapshot of one model's staging, reported at most four times a second and once at the end.</summary>
public sealed record StagingProgress(
    S3ModelLocation Location,
    long BytesDone,
    long BytesTotal,
    long BytesDownloaded,
    int FilesDone,
    int FilesTotal,
    double BytesPerSecond,
    TimeSpan? EstimatedRemaining,
    IReadOnlyList<string> CurrentFiles,
    int Retries,
    TimeSpan Elapsed)
{
    public double Fraction => BytesTotal == 0 ? 1 : (double)BytesDone / BytesTotal;

    public double MegabytesPerSecond => BytesPerSecond / 1_000_000;
}

namespace CrossLogic.Agent.Staging;

/// <summary>A listed model: its objects and the sha256 its SHA256SUMS object gives for each (when it has one).</summary>
internal sealed record RemoteModel(S3ModelLocation Location, IReadOnlyList<RemoteFile> Files, IReadOnlyDictionary<string, string> Sha256Sums)
{
    public long TotalBytes => Files.Sum(f => f.Size);
}

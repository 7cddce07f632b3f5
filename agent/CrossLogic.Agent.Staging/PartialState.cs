namespace CrossLogic.Agent.Staging;

/// <summary>The sidecar of a <c>.partial</c> file: which version it holds and which of its parts are complete on disk.</summary>
internal sealed record PartialState(string ETag, long Size, long PartSize, IReadOnlyList<int> CompletedParts)
{
    public bool Matches(RemoteFile file, long partSize) =>
        ETags.SameVersion(ETag, file.ETag) && Size == file.Size && PartSize == partSize;

    /// <summary>The state recorded at the path, or null when there is none or it cannot be read (a kill mid-write).</summary>
    public static PartialState? Load(string path) => StateFiles.Load(path, StagingJsonContext.Default.PartialState);

    public void Save(string path) => StateFiles.Save(path, this, StagingJsonContext.Default.PartialState);
}

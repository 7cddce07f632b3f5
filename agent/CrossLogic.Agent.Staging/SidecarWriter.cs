namespace CrossLogic.Agent.Staging;

/// <summary>Records each completed part of a <c>.partial</c> file, after its bytes are written, so a killed run resumes from them.</summary>
internal sealed class SidecarWriter(string path, RemoteFile file, long partSize, IEnumerable<int> completed)
{
    private readonly Lock _gate = new();
    private readonly SortedSet<int> _completed = [.. completed];

    public void Completed(int part)
    {
        lock (_gate)
        {
            _completed.Add(part);
            new PartialState(file.ETag, file.Size, partSize, [.. _completed]).Save(path);
        }
    }
}

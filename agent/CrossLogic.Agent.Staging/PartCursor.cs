namespace CrossLogic.Agent.Staging;

/// <summary>One part of a file: [Start, End), and how far its bytes are on disk.</summary>
internal sealed class PartCursor(int index, long start, long end)
{
    public int Index { get; } = index;

    public long Start { get; } = start;

    public long End { get; } = end;

    public long Next { get; set; } = start;

    public static IReadOnlyList<PartCursor> Split(long size, long partSize)
    {
        var parts = new List<PartCursor>();
        for (long start = 0, index = 0; start < size; start += partSize, index++)
        {
            parts.Add(new PartCursor((int)index, start, Math.Min(size, start + partSize)));
        }

        return parts;
    }
}

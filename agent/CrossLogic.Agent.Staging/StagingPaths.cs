namespace CrossLogic.Agent.Staging;

/// <summary>
/// Where one file of a model lives while and after it is staged. The model directory holds the final files
/// only; everything in flight sits in its <c>.crosslogic/</c> directory (the precedent is huggingface-cli's
/// <c>.cache/huggingface/</c> in a <c>--local-dir</c>), on the same file system so the final rename is atomic:
/// <c>.crosslogic/&lt;path&gt;.partial</c> (the bytes), <c>.partial.json</c> (its completed parts and ETag),
/// <c>.verified</c> (the marker that lets the next run skip the file).
/// </summary>
internal sealed class StagingPaths
{
    public const string StateDirectoryName = ".crosslogic";

    public StagingPaths(string modelDirectory, string relativePath)
    {
        RelativePath = relativePath;
        var state = StateDirectory(modelDirectory);
        Final = Path.Combine(modelDirectory, relativePath);
        Partial = Path.Combine(state, relativePath + ".partial");
        Sidecar = Path.Combine(state, relativePath + ".partial.json");
        Marker = Path.Combine(state, relativePath + ".verified");
    }

    public string RelativePath { get; }

    public string Final { get; }

    public string Partial { get; }

    public string Sidecar { get; }

    public string Marker { get; }

    public static string StateDirectory(string modelDirectory) => Path.Combine(modelDirectory, StateDirectoryName);

    public static string LockFile(string modelDirectory) => Path.Combine(StateDirectory(modelDirectory), "lock");

    /// <summary>Null when a key's path below the prefix is safe to write under the model directory; else why not.</summary>
    public static string? Check(string relativePath)
    {
        if (relativePath.Length == 0 || relativePath.Length > 1024)
        {
            return "its path is empty or longer than 1024 characters";
        }

        if (relativePath.Contains('\\', StringComparison.Ordinal) || relativePath.Any(char.IsControl))
        {
            return "its path holds a backslash or a control character";
        }

        var segments = relativePath.Split('/');
        if (segments.Any(s => s.Length == 0 || s is "." or ".."))
        {
            return "its path has an empty, '.' or '..' segment";
        }

        return segments[0] == StateDirectoryName ? $"its path is inside the reserved {StateDirectoryName}/ directory" : null;
    }

    public void DeletePartial()
    {
        File.Delete(Partial);
        File.Delete(Sidecar);
    }

    public void EnsureDirectories()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Final)!);
        Directory.CreateDirectory(Path.GetDirectoryName(Partial)!);
    }
}

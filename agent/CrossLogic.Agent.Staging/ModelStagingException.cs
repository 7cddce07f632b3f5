namespace CrossLogic.Agent.Staging;

/// <summary>Some files of a model failed; the others were staged and will be reused by the next attempt.</summary>
public sealed class ModelStagingException : StagingException
{
    public ModelStagingException()
    {
    }

    public ModelStagingException(string message)
        : base(message)
    {
    }

    public ModelStagingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public ModelStagingException(S3ModelLocation location, int fileCount, IReadOnlyList<FileStagingException> failures)
        : base($"Staging {location} failed for {failures.Count} of {fileCount} files: " + string.Join(" | ", failures.Select(f => f.Message)), failures[0])
    {
        Failures = failures;
    }

    public IReadOnlyList<FileStagingException> Failures { get; } = [];
}

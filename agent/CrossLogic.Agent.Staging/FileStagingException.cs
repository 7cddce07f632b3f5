namespace CrossLogic.Agent.Staging;

/// <summary>One file of a model could not be staged; <see cref="RelativePath"/> names it within the model.</summary>
public class FileStagingException : StagingException
{
    public FileStagingException()
    {
    }

    public FileStagingException(string message)
        : base(message)
    {
    }

    public FileStagingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public FileStagingException(string relativePath, string message, Exception? innerException = null)
        : base($"{relativePath}: {message}", innerException)
    {
        RelativePath = relativePath;
    }

    public string RelativePath { get; } = "";
}

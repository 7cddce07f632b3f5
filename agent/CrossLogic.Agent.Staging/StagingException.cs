namespace CrossLogic.Agent.Staging;

/// <summary>Staging could not be done: bad options, an unreachable or refusing store, a full cache. The message says what to fix.</summary>
public class StagingException : Exception
{
    public StagingException()
    {
    }

    public StagingException(string message)
        : base(message)
    {
    }

    public StagingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

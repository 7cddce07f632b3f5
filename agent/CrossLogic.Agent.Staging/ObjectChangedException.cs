namespace CrossLogic.Agent.Staging;

/// <summary>The object was replaced while we read it (412 on If-Match, or another ETag): the file starts over.</summary>
internal sealed class ObjectChangedException : Exception
{
    public ObjectChangedException()
    {
    }

    public ObjectChangedException(string message)
        : base(message)
    {
    }

    public ObjectChangedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>Per-request facts the engine transformer needs, carried as an HttpContext feature.</summary>
internal sealed class ForwardingState(string requestId, string engineKey, Uri engineUri, byte[] body)
{
    public string RequestId { get; } = requestId;

    public string EngineKey { get; set; } = engineKey;

    /// <summary>The engine's URL for this request (`http://host:port/v1/chat/completions`).</summary>
    public Uri EngineUri { get; } = engineUri;

    /// <summary>The request body as the engine gets it, already read in full.</summary>
    public byte[] Body { get; } = body;

    /// <summary>The status the engine answered, 0 when it never did.</summary>
    public int UpstreamStatus { get; set; }
}

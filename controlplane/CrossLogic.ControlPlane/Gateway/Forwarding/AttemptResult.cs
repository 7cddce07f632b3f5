namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>How one attempt to send a request to a replica failed, if it did.</summary>
internal enum AttemptError
{
    None,

    /// <summary>No connection to the engine: nothing was sent, so another replica may take the request.</summary>
    Connect,

    /// <summary>The request failed on its way to the engine, or before its answer's headers.</summary>
    Request,

    /// <summary>The engine went quiet for longer than <see cref="GatewayOptions.UpstreamIdleTimeoutSeconds"/>.</summary>
    Timeout,

    /// <summary>
    /// A non-streaming answer not begun within <see cref="GatewayOptions.UpstreamIdleTimeoutSeconds"/>. The engine sends
    /// it only when generation is done, so a long generation or a deep queue looks the same as a hung engine: a 504,
    /// not held against the replica (three would eject a busy, healthy one and move its load onto the others). A hung
    /// engine is the health decider's to find (probes, the engine's own health).
    /// </summary>
    NoAnswerYet,

    /// <summary>The engine's answer broke off while its body was read.</summary>
    ResponseBody,

    /// <summary>Anything else, the client's side included; not held against the replica.</summary>
    Other,
}

/// <summary>The end of one attempt: its error, a description of it for the client, and the usage the engine reported.</summary>
internal readonly record struct AttemptResult(AttemptError Error, string? Detail, TokenUsage? Usage)
{
    public static AttemptResult Failed(AttemptError error, string detail) => new(error, detail, null);

    /// <summary>
    /// Whether <paramref name="exception"/>, or the HTTP failure it wraps, is a failure to connect: nothing reached the
    /// engine. The HTTP client's <c>ConnectTimeout</c> ends a connect that hangs (a host that drops packets) with a
    /// cancellation wrapping a <see cref="TimeoutException"/>, not an HTTP failure.
    /// </summary>
    public static bool IsConnectFailure(Exception? exception) =>
        HttpFailureOf(exception) is { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
        || exception is OperationCanceledException { InnerException: TimeoutException };

    /// <summary><paramref name="exception"/> itself or the first exception it wraps that is an HTTP failure; null if none is.</summary>
    public static HttpRequestException? HttpFailureOf(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException failure)
            {
                return failure;
            }
        }

        return null;
    }

    /// <summary>A transport failure or timeout of the engine's own: held against the replica by passive health.</summary>
    public bool CountsAgainstReplica => Error is AttemptError.Connect or AttemptError.Request or AttemptError.Timeout or AttemptError.ResponseBody;

    /// <summary>Answered 504: the engine took too long, whether before its answer or within it.</summary>
    public bool IsTimeout => Error is AttemptError.Timeout or AttemptError.NoAnswerYet;
}

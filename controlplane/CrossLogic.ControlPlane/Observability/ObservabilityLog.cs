namespace CrossLogic.ControlPlane.Observability;

/// <summary>Observability log messages, event ids 1400-1499.</summary>
internal static partial class ObservabilityLog
{
    [LoggerMessage(1400, LogLevel.Warning, "Fleet gauges could not be refreshed from the database; /metrics keeps the last figures")]
    public static partial void GaugeRefreshFailed(ILogger logger, Exception exception);
}

using System.Globalization;
using System.Text.Json;
using CrossLogic.ControlPlane.Store;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// Tells operators (and the health decider, which reads node events) that the gateway took a replica out of rotation
/// after consecutive failures. Recorded off the request path; a database outage only costs the event, logged.
/// </summary>
internal sealed class ReplicaHealthReporter(NodeStore store, ILogger<ReplicaHealthReporter> logger)
{
    public void Ejected(Replica replica, int failures, string lastFailure, TimeSpan duration)
    {
        GatewayLog.ReplicaEjected(logger, replica.NodeId, failures, lastFailure, duration.TotalSeconds);
        var detail = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["failures"] = failures.ToString(CultureInfo.InvariantCulture),
            ["last_failure"] = lastFailure,
            ["ejected_seconds"] = duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["lease_epoch"] = replica.LeaseEpoch.ToString(CultureInfo.InvariantCulture),
        });
        _ = RecordAsync(replica.NodeId, $"{failures} consecutive failures ({lastFailure})", detail);
    }

    private async Task RecordAsync(string nodeId, string reason, string detail)
    {
        try
        {
            await store.AppendEventAsync(nodeId, "GATEWAY_EJECTED", reason, detail, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            GatewayLog.EventNotRecorded(logger, ex, nodeId);
        }
    }
}

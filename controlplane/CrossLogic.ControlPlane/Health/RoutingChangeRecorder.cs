using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Store;

namespace CrossLogic.ControlPlane.Health;

/// <summary>
/// Writes every routing change as a node event (ROUTING_IN, ROUTING_OUT) with the exact moment it took effect
/// (`at_unix_ms`), off the request path and in order: what operators read to see when traffic stopped going to a
/// node, and what the fault suite measures detection against. A database outage costs the events, not the routing.
/// </summary>
internal sealed partial class RoutingChangeRecorder(RoutingTable routing, NodeStore store, TimeProvider time, ILogger<RoutingChangeRecorder> logger) : BackgroundService
{
    private readonly Channel<(string NodeId, bool Routed, DateTimeOffset At)> _changes =
        Channel.CreateBounded<(string, bool, DateTimeOffset)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        routing.Changed += OnChanged;
        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        routing.Changed -= OnChanged;
        return base.StopAsync(cancellationToken);
    }

    private void OnChanged(RouteChange change)
    {
        if (change.Toggled)
        {
            _changes.Writer.TryWrite((change.NodeId, change.Routed, time.GetUtcNow()));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (nodeId, routed, at) in _changes.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                var detail = JsonSerializer.Serialize(new Dictionary<string, string> { ["at_unix_ms"] = at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) });
                try
                {
                    await store.AppendEventAsync(nodeId, routed ? "ROUTING_IN" : "ROUTING_OUT", routed ? "the gateway routes to it" : "the gateway no longer routes to it", detail, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
                {
                    Log.NotRecorded(logger, ex, nodeId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2301, LogLevel.Warning, "Routing change of node {NodeId} not recorded (database unavailable)")]
        public static partial void NotRecorded(ILogger logger, Exception exception, string nodeId);
    }
}

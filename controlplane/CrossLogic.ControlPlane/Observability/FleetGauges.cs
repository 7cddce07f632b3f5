using System.Diagnostics.Metrics;
using CrossLogic.ControlPlane.Link;
using Dapper;
using Npgsql;

namespace CrossLogic.ControlPlane.Observability;

/// <summary>
/// Gauges of the fleet and its live nodes. Fleet-wide figures (nodes by state, replicas desired and ready per
/// deployment, the hourly cost of held machines) come from the database every <see cref="RefreshInterval"/>, the same
/// on every replica. Per-node engine and GPU figures are the heartbeats this replica holds in memory, read at scrape
/// time: sum them over replicas, each node streams to one.
/// </summary>
internal sealed class FleetGauges : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(15);
    private readonly NpgsqlDataSource _dataSource;
    private readonly LiveNodeRegistry _live;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetGauges> _logger;
    private volatile FleetSnapshot _snapshot = new([], [], 0);

    public FleetGauges(IMeterFactory meters, NpgsqlDataSource dataSource, LiveNodeRegistry live, TimeProvider timeProvider, ILogger<FleetGauges> logger)
    {
        _dataSource = dataSource;
        _live = live;
        _timeProvider = timeProvider;
        _logger = logger;
        var meter = meters.Create(ControlPlaneMetrics.MeterName);
        meter.CreateObservableGauge("crosslogic.nodes", () => _snapshot.NodesByState.Select(s => new Measurement<long>(s.Count, new KeyValuePair<string, object?>("state", s.State))),
            description: "Nodes holding a machine, by state.");
        meter.CreateObservableGauge("crosslogic.deployment.replicas.desired", () => _snapshot.Deployments.Select(d => new Measurement<long>(d.Desired, new KeyValuePair<string, object?>("deployment", d.DeploymentId))),
            description: "Replicas each deployment asks for.");
        meter.CreateObservableGauge("crosslogic.deployment.replicas.ready", () => _snapshot.Deployments.Select(d => new Measurement<long>(d.Ready, new KeyValuePair<string, object?>("deployment", d.DeploymentId))),
            description: "Replicas of each deployment that serve (READY or DEGRADED).");
        meter.CreateObservableGauge("crosslogic.fleet.cost", () => _snapshot.CostPerHour, unit: "USD/h", description: "Offer price of every machine held.");
        meter.CreateObservableGauge("crosslogic.link.streams", () => (long)_live.Count, description: "Agent streams attached to this replica.");
        meter.CreateObservableGauge("crosslogic.node.engine.requests.running", () => Engines(e => e.RunningRequests), description: "Requests the node's engine runs (vLLM num_requests_running).");
        meter.CreateObservableGauge("crosslogic.node.engine.requests.waiting", () => Engines(e => e.WaitingRequests), description: "Requests queued in the node's engine (vLLM num_requests_waiting).");
        meter.CreateObservableGauge("crosslogic.node.engine.kv_cache.usage", () => EnginesDouble(e => e.KvCacheUsage), description: "KV-cache usage of the node's engine, 0 to 1.");
        meter.CreateObservableGauge("crosslogic.node.gpu.utilization", () => Gpus(g => g.UtilizationPercent / 100.0), description: "GPU utilization, 0 to 1.");
        meter.CreateObservableGauge("crosslogic.node.gpu.temperature", () => Gpus(g => g.TemperatureCelsius), unit: "Cel", description: "GPU temperature.");
        meter.CreateObservableGauge("crosslogic.node.gpu.power", () => Gpus(g => g.PowerMilliwatts / 1000.0), unit: "W", description: "GPU power draw.");
        meter.CreateObservableGauge("crosslogic.node.gpu.memory.used", () => Gpus(g => g.MemoryUsedBytes), unit: "By", description: "GPU memory in use.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, _timeProvider);
        do
        {
            try
            {
                _snapshot = await ReadAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                ObservabilityLog.GaugeRefreshFailed(_logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<FleetSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var states = await connection.QueryAsync<(short State, long Count)>(new CommandDefinition(
            "SELECT state, count(*) FROM nodes WHERE released_at IS NULL GROUP BY state", cancellationToken: cancellationToken)).ConfigureAwait(false);
        var deployments = await connection.QueryAsync<(string DeploymentId, long Desired, long Ready)>(new CommandDefinition(
            """
            SELECT d.deployment_id, d.replicas,
                   (SELECT count(*) FROM nodes n WHERE n.deployment_id = d.deployment_id AND n.retiring_at IS NULL AND n.state IN (5, 6))
              FROM deployments d WHERE d.state = 1
            """,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var cost = await connection.ExecuteScalarAsync<double?>(new CommandDefinition(
            "SELECT sum(price_per_hour) FROM nodes WHERE released_at IS NULL AND cluster_name IS NOT NULL", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new FleetSnapshot(
            [.. states.Select(s => (Store.NodeStates.Name(s.State), s.Count))],
            [.. deployments],
            cost ?? 0);
    }

    private IEnumerable<Measurement<long>> Engines(Func<Contracts.V1.EngineStatus, long> value) =>
        _live.All.Select(n => n.Snapshot()).Where(s => s.Connected && s.Engine is not null)
            .Select(s => new Measurement<long>(value(s.Engine!), new KeyValuePair<string, object?>("node", s.NodeId)));

    private IEnumerable<Measurement<double>> EnginesDouble(Func<Contracts.V1.EngineStatus, double> value) =>
        _live.All.Select(n => n.Snapshot()).Where(s => s.Connected && s.Engine is not null)
            .Select(s => new Measurement<double>(value(s.Engine!), new KeyValuePair<string, object?>("node", s.NodeId)));

    private IEnumerable<Measurement<double>> Gpus(Func<Contracts.V1.GpuSample, double> value) =>
        _live.All.Select(n => n.Snapshot()).Where(s => s.Connected)
            .SelectMany(s => s.Gpus.Select(g => new Measurement<double>(value(g),
                new KeyValuePair<string, object?>("node", s.NodeId), new KeyValuePair<string, object?>("gpu", g.Index))));

    private sealed record FleetSnapshot(
        IReadOnlyList<(string State, long Count)> NodesByState,
        IReadOnlyList<(string DeploymentId, long Desired, long Ready)> Deployments,
        double CostPerHour);
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CrossLogic.ControlPlane.Observability;

/// <summary>
/// The control plane's own instruments (meter `CrossLogic.ControlPlane`), exported on /metrics in Prometheus format:
/// gateway requests by model and status with their latency and tokens, and node state transitions by target state
/// (the verdicts: READY, DEGRADED, FAILED, LOST…). Gauges of the fleet and of live nodes are in <see cref="FleetGauges"/>.
/// </summary>
internal sealed class ControlPlaneMetrics
{
    public const string MeterName = "CrossLogic.ControlPlane";

    /// <summary>HTTP statuses boxed once: a tag's value is an object, and a fresh box per request is garbage per request.</summary>
    private static readonly object[] Statuses = [.. Enumerable.Range(0, 600).Select(status => (object)status)];
    private readonly Counter<long> _gatewayRequests;
    private readonly Histogram<double> _gatewayDuration;
    private readonly Counter<long> _gatewayTokens;
    private readonly Counter<long> _transitions;
    private readonly Counter<long> _healthSignals;

    public ControlPlaneMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _gatewayRequests = meter.CreateCounter<long>("crosslogic.gateway.requests", description: "OpenAI API requests by model and HTTP status.");
        _gatewayDuration = meter.CreateHistogram<double>("crosslogic.gateway.request.duration", unit: "s",
            description: "Time from the request's arrival to the end of its answer (the whole stream for SSE).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        _gatewayTokens = meter.CreateCounter<long>("crosslogic.gateway.tokens", description: "Tokens by model and type (prompt, completion), from the engines' usage.");
        _transitions = meter.CreateCounter<long>("crosslogic.node.transitions", description: "Node state changes by the state entered.");
        _healthSignals = meter.CreateCounter<long>("crosslogic.health.signals",
            description: "What the health decider saw: heartbeat_silent, probe_ok, probe_failed, link_disagreement, fenced, dead, unreachable_replaced, disruption.");
    }

    /// <param name="model">A model the gateway knows, or empty: request input never becomes a label by itself.</param>
    public void GatewayRequest(string model, int status, TimeSpan duration)
    {
        var tags = new TagList { { "model", model }, { "status", (uint)status < (uint)Statuses.Length ? Statuses[status] : status } };
        _gatewayRequests.Add(1, tags);
        _gatewayDuration.Record(duration.TotalSeconds, new TagList { { "model", model } });
    }

    public void GatewayTokens(string model, int prompt, int completion)
    {
        _gatewayTokens.Add(prompt, new TagList { { "model", model }, { "type", "prompt" } });
        _gatewayTokens.Add(completion, new TagList { { "model", model }, { "type", "completion" } });
    }

    public void HealthSignal(string signal) => _healthSignals.Add(1, new TagList { { "signal", signal } });

    public void NodeTransition(Contracts.V1.Node.Types.State to) =>
        _transitions.Add(1, new TagList { { "state", Store.NodeStates.Name(to) } });
}

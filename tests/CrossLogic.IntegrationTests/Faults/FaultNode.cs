using CrossLogic.Contracts.V1;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Faults;

/// <summary>A node of the fault suite: registered on a control plane, its agent running a mock engine whose log stamps
/// each request's arrival.</summary>
internal sealed record FaultNode(string NodeId, AgentProcess Agent, string EngineLog, string Token)
{
    /// <summary>Registers and starts a node; the caller disposes its agent.</summary>
    /// <param name="controlPlaneUrl">Where the agent dials (a proxy, to cut the stream); the control plane's own by default.</param>
    /// <param name="probeEndpoint">Where the control plane probes the agent (a proxy, to cut the probes).</param>
    public static async Task<FaultNode> StartAsync(
        ControlPlaneProcess controlPlane, string dir, string model, string? controlPlaneUrl = null, int? probePort = null, string? probeEndpoint = null)
    {
        var nodeId = "f-" + Guid.NewGuid().ToString("N")[..10];
        var engineLog = Path.Combine(dir, nodeId + ".log");
        var engine = AgentProcess.MockEngine(engineLog, model: model);
        var probe = probePort ?? FreePort.Next();
        var created = await controlPlane.Fleet.CreateNodeAsync(new CreateNodeRequest
        {
            NodeId = nodeId,
            Node = new Node { Model = model, EngineEndpoint = $"http://127.0.0.1:{(int)engine["Port"]}", ProbeEndpoint = probeEndpoint ?? $"127.0.0.1:{probe}" },
        });
        engine["ApiKey"] = created.EngineApiKey;
        var config = AgentProcess.Config(nodeId, controlPlaneUrl ?? controlPlane.GrpcUrl, created.Token, probe);
        config["Engine"] = engine;
        return new FaultNode(nodeId, AgentProcess.StartWithConfig(config, nodeId, probe), engineLog, created.Token);
    }
}

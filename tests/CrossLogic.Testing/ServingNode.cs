namespace CrossLogic.Testing;

/// <summary>
/// A node registered the way a provisioner registers one (engine endpoint and model on the node, the derived engine key
/// in the agent's `Engine:ApiKey`) and its agent started on the mock engine. Readiness is left to the caller.
/// </summary>
public static class ServingNode
{
    /// <param name="engine">An <see cref="AgentProcess.MockEngine"/> section; its `Port` is the engine's.</param>
    /// <param name="registeredPort">The port recorded on the node, when it should differ from the engine's.</param>
    public static async Task<(AgentProcess Agent, int EnginePort, string EngineKey)> StartAsync(
        ControlPlaneProcess controlPlane, string nodeId, string model, Dictionary<string, object> engine, int? registeredPort = null)
    {
        var port = (int)engine["Port"];
        var created = await controlPlane.CreateServingNodeAsync(nodeId, model, $"http://127.0.0.1:{registeredPort ?? port}");
        engine["ApiKey"] = created.EngineApiKey;
        var probePort = FreePort.Next();
        var config = AgentProcess.Config(nodeId, controlPlane.GrpcUrl, created.Token, probePort);
        config["Engine"] = engine;
        return (AgentProcess.StartWithConfig(config, nodeId, probePort), port, created.EngineApiKey);
    }
}

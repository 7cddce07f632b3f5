using CrossLogic.Agent.Configuration;

namespace CrossLogic.Agent.Tests.Configuration;

public sealed class AgentConfigLoaderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"agent-config-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_complete_file_binds_with_defaults_for_what_it_leaves_out()
    {
        File.WriteAllText(_path, """{ "NodeId": "node-1", "ControlPlane": { "Url": "http://cp:7001", "Token": "secret" } }""");

        var result = AgentConfigLoader.Load(_path, new Dictionary<string, string?>());

        Assert.Empty(result.Errors);
        Assert.Equal("node-1", result.Options!.NodeId);
        Assert.Equal(7070, result.Options.Probe.Port);
        Assert.Equal(1024, result.Options.Link.EventQueueCapacity);
    }

    [Fact]
    public void Overrides_win_over_the_file()
    {
        File.WriteAllText(_path, """{ "NodeId": "node-1", "ControlPlane": { "Url": "http://cp:7001", "Token": "secret" } }""");

        var result = AgentConfigLoader.Load(_path, new Dictionary<string, string?> { ["Probe:Port"] = "9000", ["NodeId"] = "node-2" });

        Assert.Equal(9000, result.Options!.Probe.Port);
        Assert.Equal("node-2", result.Options.NodeId);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_key()
    {
        File.WriteAllText(_path, """{ "NodeId": "Bad_Id", "ControlPlane": { "Url": "nope" }, "Link": { "EventQueueCapacity": 1, "ReconnectMinDelayMs": 500, "ReconnectMaxDelayMs": 100 } }""");

        var keys = AgentConfigLoader.Load(_path, new Dictionary<string, string?>()).Errors.Select(e => e.Key).ToList();

        Assert.Equal(["NodeId", "ControlPlane:Url", "ControlPlane:Token", "Link:EventQueueCapacity", "Link:ReconnectMaxDelayMs"], keys);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_its_key()
    {
        File.WriteAllText(_path, """{ "NodeId": "n", "ControlPlane": { "Url": "http://cp", "Token": "t" }, "Link": { "EventQueueCapacity": "lots" } }""");

        var error = Assert.Single(AgentConfigLoader.Load(_path, new Dictionary<string, string?>()).Errors);

        Assert.Equal("Link:EventQueueCapacity", error.Key);
    }
}

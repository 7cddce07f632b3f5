using System.Reflection;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Agent.Hosting;

/// <summary>Who this agent process is: fixed for its lifetime.</summary>
internal sealed record AgentIdentity(string NodeId, string BootId, string Version, DateTimeOffset StartTime, HostFacts Host)
{
    public static string AgentVersion { get; } =
        typeof(AgentIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static AgentIdentity Discover(string nodeId, TimeProvider timeProvider) =>
        new(nodeId, ReadBootId(), AgentVersion, timeProvider.GetUtcNow(), HostFactsReader.Read());

    private static string ReadBootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}

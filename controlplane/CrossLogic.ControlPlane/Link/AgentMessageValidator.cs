using CrossLogic.Contracts;
using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Link;

/// <summary>Refuses malformed or absurd agent messages before anything is written. Returns the reason, or null when valid.</summary>
internal static class AgentMessageValidator
{
    private const int MaxShortText = 128;
    private const int MaxLongText = 4096;
    private const int MaxGpus = 64;
    private const int MaxDetailEntries = 64;
    private const long MaxMemoryBytes = 64L << 40;

    public static string? ValidateHello(Hello hello)
    {
        if (hello.NodeId.Length == 0)
        {
            return "hello.node_id is required";
        }

        if (!NodeIdFormat.IsValid(hello.NodeId))
        {
            return "hello.node_id must be " + NodeIdFormat.Description;
        }

        if (hello.BootId.Length > MaxShortText || hello.AgentVersion.Length > MaxShortText)
        {
            return $"hello.boot_id and hello.agent_version must be at most {MaxShortText} characters";
        }

        if (hello.AgentVersion.Length == 0)
        {
            return "hello.agent_version is required";
        }

        if (hello.ProbeEndpoint.Length > 255)
        {
            return "hello.probe_endpoint must be at most 255 characters";
        }

        if (hello.Host is { } host && (host.CpuCount is < 0 or > 100_000 || host.MemoryBytes is < 0 or > MaxMemoryBytes ||
            host.Hostname.Length > 255 || host.Kernel.Length > MaxShortText || host.Os.Length > MaxShortText * 2 || host.Architecture.Length > 32))
        {
            return "hello.host has an absurd value (cpu_count, memory_bytes or a name too long)";
        }

        if (hello.Gpus.Count > MaxGpus)
        {
            return $"hello.gpus lists more than {MaxGpus} GPUs";
        }

        foreach (var gpu in hello.Gpus)
        {
            if (gpu.Index < 0 || gpu.Index >= MaxGpus || gpu.MemoryTotalBytes < 0 || gpu.Uuid.Length > MaxShortText || gpu.Name.Length > MaxShortText)
            {
                return $"hello.gpus[{gpu.Index}] has an absurd value";
            }
        }

        if (hello.AgentStartTime is null)
        {
            return "hello.agent_start_time is required";
        }

        return null;
    }

    public static string? ValidateHeartbeat(Heartbeat heartbeat)
    {
        if (heartbeat.Sequence == 0 || heartbeat.Sequence > long.MaxValue)
        {
            return "heartbeat.sequence must be positive";
        }

        if (heartbeat.Gpus.Count > MaxGpus)
        {
            return $"heartbeat.gpus lists more than {MaxGpus} GPUs";
        }

        if (heartbeat.Gpus.Any(g => g.Index is < 0 or >= MaxGpus || g.Health is { } h && (h.Reasons.Count > 16 || h.Reasons.Any(r => r.Length > 256))))
        {
            return "heartbeat.gpus has an absurd value (index, or too many or too long health reasons)";
        }

        if (heartbeat.Engine is { Reason.Length: > MaxLongText })
        {
            return "heartbeat.engine.reason is too long";
        }

        if (heartbeat.Engine is { } engine && (engine.RunningRequests < 0 || engine.WaitingRequests < 0 || engine.KvCacheUsage is < 0 or > 1 || double.IsNaN(engine.KvCacheUsage)))
        {
            return "heartbeat.engine has an absurd value (negative counts or kv_cache_usage outside 0..1)";
        }

        return null;
    }

    public static string? ValidateEvent(NodeEvent nodeEvent)
    {
        if (nodeEvent.Sequence == 0 || nodeEvent.Sequence > long.MaxValue)
        {
            return "event.sequence must be positive";
        }

        if (nodeEvent.Kind == NodeEvent.Types.Kind.Unspecified || !Enum.IsDefined(nodeEvent.Kind))
        {
            return "event.kind is unspecified or unknown";
        }

        if (nodeEvent.Time is null)
        {
            return "event.time is required";
        }

        if (nodeEvent.Message.Length > MaxLongText || nodeEvent.Detail.Count > MaxDetailEntries ||
            nodeEvent.Detail.Any(d => d.Key.Length > MaxShortText || d.Value.Length > MaxLongText))
        {
            return "event is too large (message, or detail entries)";
        }

        return null;
    }
}

using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Link;
using CrossLogic.ControlPlane.Store;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>Builds the API's Node from the stored row and, where fresher, this replica's live link state.</summary>
internal static class NodeView
{
    /// <param name="record">The stored row.</param>
    /// <param name="live">This replica's live state of the node, if it holds or held its stream.</param>
    /// <param name="connectedFreshSince">
    /// A stored `connected` older than this is not believed: the replica that held the stream flushes last_seen
    /// regularly, so silence means it died without recording the detach (a crash, a SIGKILL).
    /// </param>
    public static Node From(NodeRecord record, NodeLiveSnapshot? live, DateTime connectedFreshSince)
    {
        var node = new Node
        {
            Name = "nodes/" + record.NodeId,
            NodeId = record.NodeId,
            State = (Node.Types.State)record.State,
            Connected = record.Connected && record.LastSeen is { } lastSeen && lastSeen >= connectedFreshSince,
            LeaseEpoch = record.LeaseEpoch,
            LastHeartbeatSequence = (ulong)record.LastHeartbeatSequence,
            BootId = record.BootId,
            AgentVersion = record.AgentVersion,
            ReportedProbeEndpoint = record.ReportedProbeEndpoint,
            ProbeEndpoint = record.ProbeEndpoint,
            CreateTime = Utc(record.CreatedAt),
            UpdateTime = Utc(record.UpdatedAt),
            LastSeenTime = record.LastSeen is { } seen ? Utc(seen) : null,
            StateReason = record.StateReason,
            EngineEndpoint = record.EngineEndpoint,
            Model = record.Model,
            Deployment = record.DeploymentId is { } deployment ? "deployments/" + deployment : "",
            ClusterName = record.ClusterName ?? "",
            Provisioner = record.Provisioner,
            Cloud = record.Cloud,
            Region = record.Region,
            Spot = record.Spot,
            PricePerHour = record.PricePerHour,
            GpuType = record.GpuType,
            GpuCount = record.GpuCount,
            Retiring = record.RetiringAt is not null,
        };
        if (record.EngineLogTail.Length > 0)
        {
            node.EngineLogTail.AddRange(record.EngineLogTail.Split('\n'));
        }
        if (record.HostFacts is { Length: > 0 } host)
        {
            node.Host = HostFacts.Parser.ParseFrom(host);
        }

        node.Gpus.AddRange(GpuList.Parse(record.Gpus).Gpus);
        foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(record.Labels) ?? [])
        {
            node.Labels[key] = value;
        }

        // Memory is ahead of the database between flushes; a snapshot of an older epoch is history, not news.
        if (live is not null && live.LeaseEpoch >= record.LeaseEpoch)
        {
            node.Connected = live.Connected;
            node.LastHeartbeatSequence = Math.Max(node.LastHeartbeatSequence, live.Sequence);
            if (record.LastSeen is null || live.LastSeen > record.LastSeen)
            {
                node.LastSeenTime = Utc(live.LastSeen);
            }

            node.Engine = live.Engine;
            node.GpuSamples.AddRange(live.Gpus);
        }

        return node;
    }

    private static Timestamp Utc(DateTime time) => Timestamp.FromDateTime(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}

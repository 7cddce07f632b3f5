using CrossLogic.Agent.Hosting;
using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CrossLogic.Agent.Probe;

/// <summary>The agent's own API: a health snapshot the control plane asks for directly, bypassing the link.</summary>
internal sealed class AgentProbeService(AgentIdentity identity, LinkState link, OutboundEventQueue events, TimeProvider timeProvider) : Contracts.V1.Agent.AgentBase
{
    public override Task<ProbeResponse> Probe(ProbeRequest request, ServerCallContext context)
    {
        var now = timeProvider.GetUtcNow();
        return Task.FromResult(new ProbeResponse
        {
            NodeId = identity.NodeId,
            BootId = identity.BootId,
            AgentVersion = identity.Version,
            Uptime = Duration.FromTimeSpan(now - identity.StartTime),
            Link = link.Snapshot(events),
            // The engine and GPU readers arrive with the engine supervisor; until then the node has none.
            Engine = new EngineStatus { State = EngineStatus.Types.State.NotConfigured },
            Time = Timestamp.FromDateTimeOffset(now),
        });
    }
}

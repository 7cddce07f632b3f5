using System.Security.Cryptography;
using System.Text;
using CrossLogic.Agent.Engine;
using CrossLogic.Agent.Hosting;
using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CrossLogic.Agent.Probe;

/// <summary>
/// The agent's own API: a health snapshot the control plane asks for directly, bypassing the link. The port may be
/// reachable by others (a cloud's security group opens it): the snapshot is open, but the engine's output and Drain
/// need the node's own token (`authorization: Bearer …`, the agent's ControlPlane:Token), compared in constant time.
/// </summary>
internal sealed class AgentProbeService(
    AgentIdentity identity,
    NodeCredential credential,
    LinkState link,
    OutboundEventQueue events,
    NodeStatusReader status,
    EngineSupervisor engine,
    TimeProvider timeProvider) : Contracts.V1.Agent.AgentBase
{
    private const int LogTailLines = 50;

    public override Task<ProbeResponse> Probe(ProbeRequest request, ServerCallContext context)
    {
        var now = timeProvider.GetUtcNow();
        var response = new ProbeResponse
        {
            NodeId = identity.NodeId,
            BootId = identity.BootId,
            AgentVersion = identity.Version,
            Uptime = Duration.FromTimeSpan(now - identity.StartTime),
            Link = link.Snapshot(events),
            Engine = status.Engine(),
            Time = Timestamp.FromDateTimeOffset(now),
        };
        response.Gpus.AddRange(status.GpuDevices());
        response.GpuSamples.AddRange(status.GpuSamples());
        if (Authorized(context))
        {
            // The engine's output can carry what users sent it: only for whoever holds the node's token.
            response.EngineLogTail.AddRange(engine.Log.Tail(LogTailLines));
        }

        return Task.FromResult(response);
    }

    public override async Task<DrainResponse> Drain(DrainRequest request, ServerCallContext context)
    {
        if (!Authorized(context))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Drain needs 'authorization: Bearer <node token>' (this agent's ControlPlane:Token)"));
        }

        var deadline = request.Deadline?.ToTimeSpan();
        if (deadline < TimeSpan.Zero || deadline > TimeSpan.FromHours(1))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "deadline must be between 0 and 1 hour"));
        }

        var result = await engine.DrainAsync(deadline > TimeSpan.Zero ? deadline : null, context.CancellationToken).ConfigureAwait(false);
        return new DrainResponse { RequestsCut = result.RequestsCut, Took = Duration.FromTimeSpan(result.Took) };
    }

    private bool Authorized(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal) || credential.Token.Length == 0)
        {
            return false;
        }

        // Hashes of equal length: the comparison says nothing about the token's length or prefix.
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim())),
            SHA256.HashData(Encoding.UTF8.GetBytes(credential.Token)));
    }
}

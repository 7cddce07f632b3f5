using System.Collections.Concurrent;
using CrossLogic.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Health;

/// <summary>The outcome of one probe: the agent's engine status when it answered, else why not.</summary>
internal sealed record ProbeOutcome(bool Ok, EngineStatus? Engine, string Error, TimeSpan Took);

/// <summary>
/// Calls an agent's `Probe` RPC with a short deadline, at the address the provisioner (or the operator) recorded for
/// the node, never one the agent reported about itself: a compromised agent must not point the control plane at
/// other hosts. An answer from another node id (a recycled address) counts as a failure.
/// </summary>
internal sealed class AgentProber(IOptions<HealthOptions> options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan ChannelIdle = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, ProbeChannel> _channels = new(StringComparer.Ordinal);
    private long _nextPrune;

    public async Task<ProbeOutcome> ProbeAsync(string nodeId, string endpoint, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        if (!TryAddress(endpoint, out var address))
        {
            return new ProbeOutcome(false, null, endpoint.Length == 0 ? "no probe address recorded for the node" : $"probe address '{endpoint}' is not usable", TimeSpan.Zero);
        }

        PruneIdle(started);
        var entry = _channels.GetOrAdd(address, static a => new ProbeChannel(GrpcChannel.ForAddress(a, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(2),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                AllowAutoRedirect = false,
                UseProxy = false,
            },
            MaxReceiveMessageSize = 1 << 20,
        })));
        entry.LastUsed = started;
        var channel = entry.Channel;
        try
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(options.Value.ProbeTimeoutMs);
            var response = await new Agent.AgentClient(channel).ProbeAsync(new ProbeRequest(), deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
            var took = time.GetElapsedTime(started);
            return response.NodeId == nodeId
                ? new ProbeOutcome(true, response.Engine, "", took)
                : new ProbeOutcome(false, null, $"the agent at {address} is node '{response.NodeId}', not '{nodeId}'", took);
        }
        catch (RpcException ex)
        {
            return new ProbeOutcome(false, null, $"{ex.StatusCode}: {ex.Status.Detail}", time.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is ObjectDisposedException or HttpRequestException)
        {
            // A channel pruned under this very call (idle for 10 minutes until now): a failed probe, tried again soon.
            return new ProbeOutcome(false, null, ex.Message, time.GetElapsedTime(started));
        }
    }

    /// <summary>`10.0.0.5:7070` or `http://10.0.0.5:7070` → `http://10.0.0.5:7070`.</summary>
    private static bool TryAddress(string endpoint, out string address)
    {
        var text = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "http://" + endpoint;
        address = "";
        if (endpoint.Length == 0 || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort && !endpoint.Contains("://", StringComparison.Ordinal))
        {
            return false;
        }

        address = uri.GetLeftPart(UriPartial.Authority);
        return true;
    }

    /// <summary>Nodes come and go: a channel to an address no node was probed at for a while is closed.</summary>
    private void PruneIdle(long now)
    {
        var due = Interlocked.Read(ref _nextPrune);
        if (now < due || Interlocked.CompareExchange(ref _nextPrune, now + time.TimestampFrequency * 60, due) != due)
        {
            return;
        }

        foreach (var (address, entry) in _channels)
        {
            if (time.GetElapsedTime(entry.LastUsed, now) > ChannelIdle && _channels.TryRemove(new KeyValuePair<string, ProbeChannel>(address, entry)))
            {
                entry.Channel.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var entry in _channels.Values)
        {
            entry.Channel.Dispose();
        }
    }

    private sealed class ProbeChannel(GrpcChannel channel)
    {
        public GrpcChannel Channel { get; } = channel;

        public long LastUsed { get; set; }
    }
}

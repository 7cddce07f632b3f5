using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Gateway.Routing;

/// <summary>
/// Chooses a replica: the less loaded of two random ones (power of two choices), or, with prefix affinity, the replica
/// the prompt's leading text hashes to (rendezvous hashing) unless it carries clearly more load than that choice.
/// Ejected replicas are skipped, and degraded ones used only when nothing healthy is left.
/// </summary>
internal sealed class ReplicaPicker(IOptions<GatewayOptions> options, TimeProvider time)
{
    private readonly GatewayOptions _options = options.Value;

    public Replica? Pick(Replica[] replicas, ulong? affinityHash, Replica? exclude)
    {
        var now = time.GetTimestamp();
        Span<int> candidates = replicas.Length <= 256 ? stackalloc int[replicas.Length] : new int[replicas.Length];
        // Healthy first; then degraded; only when everything is ejected, the ejected (better than failing outright).
        var count = 0;
        for (var tier = Tier.Healthy; count == 0 && tier <= Tier.Any; tier++)
        {
            count = Candidates(replicas, exclude, now, tier, candidates);
        }

        if (count == 0)
        {
            return null;
        }

        if (count == 1)
        {
            return replicas[candidates[0]];
        }

        var i = Random.Shared.Next(count);
        var j = Random.Shared.Next(count - 1);
        j = j >= i ? j + 1 : j;
        var first = replicas[candidates[i]];
        var second = replicas[candidates[j]];
        var best = first.Load <= second.Load ? first : second;
        if (affinityHash is not { } hash || !_options.PrefixAffinity)
        {
            return best;
        }

        var preferred = Rendezvous(replicas, candidates[..count], hash);
        return preferred.Load <= best.Load + _options.PrefixAffinitySlack ? preferred : best;
    }

    /// <summary>FNV-1a of the prompt's leading text: the affinity key.</summary>
    public static ulong Hash(ReadOnlySpan<byte> text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in text)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private enum Tier
    {
        Healthy,
        NotEjected,
        Any,
    }

    private static int Candidates(Replica[] replicas, Replica? exclude, long now, Tier tier, Span<int> into)
    {
        var count = 0;
        for (var i = 0; i < replicas.Length; i++)
        {
            var replica = replicas[i];
            if (ReferenceEquals(replica, exclude)
                || replica.IsOut
                || (tier < Tier.Any && replica.IsEjected(now))
                || (tier == Tier.Healthy && replica.Degraded))
            {
                continue;
            }

            into[count++] = i;
        }

        return count;
    }

    private static Replica Rendezvous(Replica[] replicas, Span<int> candidates, ulong hash)
    {
        Replica? best = null;
        var bestScore = 0UL;
        foreach (var index in candidates)
        {
            var replica = replicas[index];
            var score = Mix(hash ^ replica.NodeHash);
            if (best is null || score > bestScore)
            {
                best = replica;
                bestScore = score;
            }
        }

        return best!;
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        return x ^ (x >> 33);
    }
}

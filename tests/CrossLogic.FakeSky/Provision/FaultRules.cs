using CrossLogic.FakeSky.Home;

namespace CrossLogic.FakeSky.Provision;

/// <summary>Picks the config rule that makes this launch (or down) fail, and counts it against the rule's `times`.</summary>
internal static class FaultRules
{
    /// <summary>Call inside a state update: the hit count lives in state.json so parallel processes share it.</summary>
    public static FaultRule? Fire(FakeConfig config, FakeState state, Placement placement, bool useSpot, Func<string, bool> kinds)
    {
        foreach (var rule in config.Rules)
        {
            if (!kinds(rule.Error) || !Matches(rule.Match, placement) || (rule.UseSpot is { } spot && spot != useSpot))
            {
                continue;
            }

            var hits = state.RuleHits.GetValueOrDefault(rule.Key);
            if (rule.Times is { } times && hits >= times)
            {
                // Spent: the next rule may still apply.
                continue;
            }

            state.RuleHits[rule.Key] = hits + 1;
            return rule;
        }

        return null;
    }

    /// <summary>"aws" matches all of AWS, "aws/us-east-1" one region, "aws/us-east-1/us-east-1a" one zone, "*" everything.</summary>
    public static bool Matches(string match, Placement placement)
    {
        var prefix = match.Trim().Trim('/').ToLowerInvariant();
        if (prefix is "*" or "")
        {
            return true;
        }

        var path = placement.Path.ToLowerInvariant();
        return path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal);
    }
}

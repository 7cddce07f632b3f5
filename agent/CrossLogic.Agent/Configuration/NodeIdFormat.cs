using System.Text.RegularExpressions;

namespace CrossLogic.Agent.Configuration;

/// <summary>The node id rule shared with the control plane: a DNS label.</summary>
internal static partial class NodeIdFormat
{
    public static bool IsValid(string nodeId) => Pattern().IsMatch(nodeId);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

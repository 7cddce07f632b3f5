using System.Text.RegularExpressions;

namespace CrossLogic.Contracts;

/// <summary>The node id rule shared by agent and control plane: a DNS label (1-63 of a-z, 0-9, '-', not starting with '-').</summary>
public static partial class NodeIdFormat
{
    public const string Description = "1-63 characters of a-z, 0-9 and '-', starting with a letter or digit";

    public static bool IsValid(string nodeId) => Pattern().IsMatch(nodeId);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

namespace CrossLogic.Agent.Hosting;

/// <summary>The node's bearer token for the link. Never logged.</summary>
internal sealed class NodeCredential(string token)
{
    public string Token { get; } = token;

    public override string ToString() => "NodeCredential(***)";
}

namespace CrossLogic.Cli.Invocation;

/// <summary>API resource names from what operators type: `gpu-1` or `nodes/gpu-1` both name the node.</summary>
internal static class ResourceNames
{
    public static string Node(string id) => WithPrefix("nodes/", id);

    public static string Deployment(string id) => WithPrefix("deployments/", id);

    public static string Tenant(string tenant) => WithPrefix("tenants/", tenant);

    public static string ApiKey(string tenant, string keyId) => $"{Tenant(tenant)}/apiKeys/{keyId}";

    /// <summary>The id at the end of a resource name (`deployments/llama` → `llama`).</summary>
    public static string Id(string name) => name[(name.LastIndexOf('/') + 1)..];

    private static string WithPrefix(string prefix, string id) =>
        id.StartsWith(prefix, StringComparison.Ordinal) ? id : prefix + id;
}

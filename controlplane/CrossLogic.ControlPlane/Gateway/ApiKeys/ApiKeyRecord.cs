namespace CrossLogic.ControlPlane.Gateway.ApiKeys;

/// <summary>One row of `api_keys`.</summary>
internal sealed record ApiKeyRecord
{
    public required string KeyId { get; init; }
    public required string Tenant { get; init; }
    public string DisplayName { get; init; } = "";
    public required byte[] KeyHash { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? ExpiresAt { get; init; }
    public DateTime? RevokedAt { get; init; }
    public string[] AllowedModels { get; init; } = [];
    public int RequestsPerMinute { get; init; }
    public long TokensPerMinute { get; init; }

    public bool Allows(string model) => AllowedModels.Length == 0 || Array.IndexOf(AllowedModels, model) >= 0;
}

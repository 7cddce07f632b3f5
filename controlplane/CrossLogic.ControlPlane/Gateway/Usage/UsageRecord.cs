namespace CrossLogic.ControlPlane.Gateway.Usage;

/// <summary>One forwarded request, as `usage` stores it. The request id makes a replayed write harmless.</summary>
internal sealed record UsageRecord(
    string RequestId,
    DateTime Time,
    string Tenant,
    string KeyId,
    string Model,
    string NodeId,
    short Status,
    int PromptTokens,
    int CompletionTokens,
    int TotalTokens,
    bool Streamed,
    int DurationMs);

/// <summary>Usage summed over one key, model and node.</summary>
internal sealed record UsageSum(string KeyId, string Model, string NodeId, long Requests, long PromptTokens, long CompletionTokens, long TotalTokens);

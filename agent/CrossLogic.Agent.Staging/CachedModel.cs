namespace CrossLogic.Agent.Staging;

/// <summary>One model directory in the cache, as the cache sees it now.</summary>
public sealed record CachedModel(string Name, string Directory, string? Location, long SizeBytes, DateTimeOffset LastUsed, bool InUse);

using System.Text.Json.Serialization;

namespace CrossLogic.Agent.Staging;

/// <summary>Source-generated JSON for the state files (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PartialState))]
[JsonSerializable(typeof(VerifiedMarker))]
internal sealed partial class StagingJsonContext : JsonSerializerContext;

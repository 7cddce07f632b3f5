using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrossLogic.FakeSky.Home;

/// <summary>Source-generated JSON for state.json and config.json.</summary>
[JsonSerializable(typeof(FakeState))]
[JsonSerializable(typeof(FakeConfig))]
internal sealed partial class FakeSkyJson : JsonSerializerContext
{
    /// <summary>snake_case like SkyPilot's own files; comments and trailing commas tolerated in what tests write.</summary>
    public static FakeSkyJson Files { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

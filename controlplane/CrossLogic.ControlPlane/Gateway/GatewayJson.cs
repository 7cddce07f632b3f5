using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CrossLogic.ControlPlane.Gateway;

/// <summary>Source-generated JSON for the few DOM writes the gateway makes.</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class GatewayJson : JsonSerializerContext;

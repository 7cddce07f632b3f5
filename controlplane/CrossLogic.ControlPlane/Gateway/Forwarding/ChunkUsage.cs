using System.Text.Json;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// The gateway asks the engine for usage in every streamed chunk (vLLM's <c>continuous_usage_stats</c>), so a stream
/// cut short still reports the tokens it used. A client that did not ask for that gets each chunk without it.
/// </summary>
internal static class ChunkUsage
{
    /// <summary>
    /// The event with its chunk's top-level <c>"usage"</c> member (and the comma that joined it) removed, or null when
    /// it has none or is not one JSON object. Everything else stays byte for byte.
    /// </summary>
    public static byte[]? Without(ReadOnlySpan<byte> eventBytes)
    {
        var start = eventBytes.IndexOf((byte)'{');
        var end = eventBytes.LastIndexOf((byte)'}');
        if (start < 0 || end < start)
        {
            return null;
        }

        var json = eventBytes[start..(end + 1)];
        int cutFrom = -1, cutTo = -1;
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameAt = (int)reader.TokenStartIndex;
                var isUsage = reader.ValueTextEquals("usage"u8);
                reader.Read();
                reader.Skip();
                if (isUsage)
                {
                    (cutFrom, cutTo) = (nameAt, (int)reader.BytesConsumed);
                    break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        if (cutFrom < 0)
        {
            return null;
        }

        var before = json[..cutFrom].TrimEnd(" \t\r\n"u8);
        if (before.Length > 0 && before[^1] == (byte)',')
        {
            cutFrom = before.Length - 1;
        }
        else
        {
            var after = json[cutTo..];
            var rest = after.TrimStart(" \t\r\n"u8);
            if (rest.Length > 0 && rest[0] == (byte)',')
            {
                cutTo += after.Length - rest.Length + 1;
            }
        }

        var result = new byte[eventBytes.Length - (cutTo - cutFrom)];
        eventBytes[..(start + cutFrom)].CopyTo(result);
        eventBytes[(start + cutTo)..].CopyTo(result.AsSpan(start + cutFrom));
        return result;
    }
}

using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>What node and deployment event lists share: newest-first keyset cursors and the stored detail JSON.</summary>
internal static class EventPages
{
    /// <summary>The id the page starts below (long.MaxValue for the first page).</summary>
    public static long Before(string pageToken)
    {
        var cursor = PageToken.Decode(pageToken);
        return cursor.Length == 0 ? long.MaxValue
            : long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id
            : throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not one this API returned"));
    }

    /// <summary>The token of the page after the one ending at <paramref name="lastId"/>.</summary>
    public static string Next(long lastId) => PageToken.Encode(lastId.ToString(CultureInfo.InvariantCulture));

    public static Timestamp Time(DateTime stored) => Timestamp.FromDateTime(DateTime.SpecifyKind(stored, DateTimeKind.Utc));

    public static void CopyDetail(string json, MapField<string, string> into)
    {
        foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [])
        {
            into[key] = value;
        }
    }
}

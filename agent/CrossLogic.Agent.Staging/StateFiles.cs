using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CrossLogic.Agent.Staging;

/// <summary>Small JSON state files, replaced atomically (write aside, rename) so a kill never leaves half of one.</summary>
internal static class StateFiles
{
    public static T? Load<T>(string path, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), type);
        }
        catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static void Save<T>(string path, T value, JsonTypeInfo<T> type)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(value, type));
        File.Move(temporary, path, overwrite: true);
    }
}

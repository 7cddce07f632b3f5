using System.Text.Encodings.Web;
using System.Text.Json;

namespace CrossLogic.FakeSky.Home;

/// <summary>calls.log: one JSON object per line for every invocation, so tests can count launches and inspect task YAMLs.</summary>
internal static class CallLog
{
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Append(FakeSkyHome home, IReadOnlyList<string> argv, int exitCode, string? taskYaml, DateTimeOffset time)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, LineOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteNumber("pid", Environment.ProcessId);
            json.WriteStartArray("argv");
            foreach (var arg in argv)
            {
                json.WriteStringValue(arg);
            }

            json.WriteEndArray();
            json.WriteNumber("exit_code", exitCode);
            if (taskYaml is not null)
            {
                json.WriteString("task_yaml", taskYaml);
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');

        // Under the state lock: concurrent appends never interleave within a line.
        using var held = StateStore.Lock(home);
        using var log = new FileStream(home.CallsLogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        log.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

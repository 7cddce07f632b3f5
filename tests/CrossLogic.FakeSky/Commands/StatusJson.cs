using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CrossLogic.FakeSky.Home;
using CrossLogic.FakeSky.Task;

namespace CrossLogic.FakeSky.Commands;

/// <summary>
/// `sky status -o json`: json.dumps(indent=2) of StatusResponse records (handle and credentials excluded),
/// in the field order of SkyPilot's model; `[]` when nothing matches.
/// </summary>
internal static class StatusJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Render(IReadOnlyList<ClusterRecord> clusters)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartArray();
            foreach (var cluster in clusters)
            {
                Write(json, cluster);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter json, ClusterRecord c)
    {
        var userHash = Invocation.UserHash;
        json.WriteStartObject();
        json.WriteString("name", c.Name);
        json.WriteNumber("launched_at", c.LaunchedAt);
        json.WriteString("last_use", c.LastUse ?? c.LaunchCommand);
        json.WriteString("status", c.Status);
        json.WriteNumber("autostop", c.Autostop);
        json.WriteBoolean("to_down", c.ToDown);
        json.WriteStartArray("owner");
        json.WriteStringValue(c.Cloud == "aws" ? "AIDAFAKESKYUSERID0001" : $"{Invocation.UserName}@fake-sky");
        json.WriteStringValue(c.Cloud == "aws" ? "123456789012" : "fake-sky-project");
        json.WriteEndArray();
        json.WriteStartObject("metadata");
        json.WriteEndObject();
        json.WriteString("cluster_hash", c.ClusterHash);
        json.WriteBoolean("cluster_ever_up", c.ClusterEverUp);
        json.WriteNumber("status_updated_at", c.StatusUpdatedAt);
        json.WriteString("user_hash", userHash);
        json.WriteString("user_name", Invocation.UserName);
        json.WriteNull("config_hash");
        json.WriteString("workspace", "default");
        json.WriteString("last_creation_yaml", c.TaskYaml is null ? null : SecretRedaction.Redact(c.TaskYaml));
        json.WriteString("last_creation_command", c.LaunchCommand);
        json.WriteBoolean("is_managed", false);
        json.WriteString("last_event", c.LastEvent);
        json.WriteNull("launch_status_reason");
        json.WriteString("resources_str", ClusterView.ResourcesShort(c));
        json.WriteString("resources_str_full", ClusterView.ResourcesFull(c));
        json.WriteNumber("nodes", c.Nodes);
        json.WriteString("cloud", ClusterView.CloudName(c));
        json.WriteString("region", c.Region);
        json.WriteString("cpus", c.Cpus);
        json.WriteString("memory", c.Memory);
        json.WriteString("accelerators", ClusterView.AcceleratorsRepr(c));
        json.WriteStartObject("labels");
        json.WriteEndObject();
        json.WriteString("cluster_name_on_cloud", $"{c.Name}-{userHash[..4]}");
        json.WriteNull("node_names");
        json.WriteNull("priority");
        json.WriteNull("priority_class");
        json.WriteNull("links");
        json.WriteEndObject();
    }
}

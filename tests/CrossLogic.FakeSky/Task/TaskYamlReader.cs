using System.Globalization;
using System.Text.RegularExpressions;

namespace CrossLogic.FakeSky.Task;

/// <summary>
/// Reads a task YAML the way `sky launch` does: task schema first ("Invalid task YAML: "), then the --env/--secret
/// overrides, then the null checks on envs and secrets, then the resources schema ("Invalid resources YAML: ").
/// </summary>
internal static partial class TaskYamlReader
{
    private const string SchemaError = "sky.exceptions.InvalidSkyPilotConfigError";

    private static readonly string[] TaskFields =
    [
        "name", "workdir", "num_nodes", "resources", "envs", "secrets", "file_mounts", "setup", "run",
        "volumes", "service", "pool", "config", "event_callback", "inputs", "outputs",
    ];

    private static readonly string[] ResourceFields =
    [
        "infra", "cloud", "region", "zone", "accelerators", "accelerator_args", "instance_type", "cpus", "memory",
        "use_spot", "job_recovery", "disk_size", "disk_tier", "network_tier", "ports", "labels", "image_id",
        "autostop", "any_of", "ordered", "volumes", "_docker_login_config", "_is_image_managed", "_requires_fuse",
        "_cluster_config_overrides",
    ];

    public static TaskSpec? Read(
        string yaml,
        string path,
        IReadOnlyList<KeyValuePair<string, string>> envOverrides,
        IReadOnlyList<KeyValuePair<string, string>> secretOverrides,
        out TaskError? error)
    {
        error = null;
        object? root;
        try
        {
            root = MiniYaml.Parse(yaml);
        }
        catch (YamlSyntaxException e)
        {
            error = new TaskError("yaml.scanner.ScannerError", $"{e.Message}\n  in \"{path}\", line {e.Line}, column 1");
            return null;
        }

        root ??= new OrderedDictionary<string, object?>();
        if (root is not OrderedDictionary<string, object?> task)
        {
            error = new TaskError("ValueError", $"YAML loaded as str, not as dict. Is it correct? content:\n{yaml}");
            return null;
        }

        if (CheckFields(task, TaskFields, "Invalid task YAML: ") is { } taskFieldError)
        {
            error = taskFieldError;
            return null;
        }

        var spec = new TaskSpec();
        error = ReadTaskFields(task, spec);
        if (error is not null)
        {
            return null;
        }

        foreach (var (key, value) in envOverrides)
        {
            spec.Envs[key] = value;
        }

        foreach (var (key, value) in secretOverrides)
        {
            spec.Secrets[key] = value;
        }

        foreach (var (key, value) in spec.Envs)
        {
            if (value is null)
            {
                error = new TaskError("ValueError",
                    $"Environment variable '{key}' is None. Please set a value for it in task YAML or with --env flag. " +
                    $"To set it to be empty, use an empty string ({key}: \"\" in task YAML or --env {key}=\"\" in CLI).");
                return null;
            }
        }

        foreach (var (key, value) in spec.Secrets)
        {
            if (value is null)
            {
                error = new TaskError("ValueError",
                    $"Secret variable '{key}' is None. Please set a value for it in task YAML or with --secret flag. " +
                    $"To set it to be empty, use an empty string ({key}: \"\" in task YAML or --secret {key}=\"\" in CLI).");
                return null;
            }
        }

        if (task.TryGetValue("resources", out var resources) && resources is not null)
        {
            if (resources is not OrderedDictionary<string, object?> resourcesMap)
            {
                error = TypeError("Invalid resources YAML: ", resources, "object", "$");
                return null;
            }

            error = CheckFields(resourcesMap, ResourceFields, "Invalid resources YAML: ") ?? ReadResources(resourcesMap, spec.Resources);
        }

        return error is null ? spec : null;
    }

    private static TaskError? ReadTaskFields(OrderedDictionary<string, object?> task, TaskSpec spec)
    {
        const string prefix = "Invalid task YAML: ";
        foreach (var (key, value) in task)
        {
            if (value is null)
            {
                continue;
            }

            switch (key)
            {
                case "name" or "setup" or "run":
                    if (value is not YamlScalar text)
                    {
                        return TypeError(prefix, value, "string", $"$.{key}");
                    }

                    if (key == "name")
                    {
                        spec.Name = text.Text;
                    }
                    else if (key == "setup")
                    {
                        spec.Setup = text.Text;
                    }
                    else
                    {
                        spec.Run = text.Text;
                    }

                    break;
                case "num_nodes":
                    spec.NumNodes = MiniYaml.AsInt(value) ?? 0;
                    if (spec.NumNodes < 1)
                    {
                        return new TaskError(SchemaError, $"{prefix}{Show(value)} is not of type 'integer'. Check problematic field(s): $.num_nodes");
                    }

                    break;
                case "workdir":
                    spec.Workdir = (value as YamlScalar)?.Text;
                    break;
                case "file_mounts":
                    spec.HasFileMounts = true;
                    break;
                case "envs" or "secrets":
                    if (value is not OrderedDictionary<string, object?> map)
                    {
                        return TypeError(prefix, value, "object", $"$.{key}");
                    }

                    var target = key == "envs" ? spec.Envs : spec.Secrets;
                    foreach (var (name, item) in map)
                    {
                        if (!EnvName().IsMatch(name))
                        {
                            return new TaskError(SchemaError,
                                $"{prefix}The `{key}` field contains invalid keys:\n'{name}' does not match any of the regexes: '^[a-zA-Z_][a-zA-Z0-9_]*$'");
                        }

                        if (item is not null and not YamlScalar)
                        {
                            return TypeError(prefix, item, "string", $"$.{key}.{name}");
                        }

                        target[name] = (item as YamlScalar)?.Text;
                    }

                    break;
            }
        }

        return null;
    }

    private static TaskError? ReadResources(OrderedDictionary<string, object?> map, ResourcesSpec resources)
    {
        const string prefix = "Invalid resources YAML: ";
        foreach (var (key, value) in map)
        {
            if (value is null)
            {
                continue;
            }

            switch (key)
            {
                case "infra":
                    resources.Infra = value.ToString();
                    break;
                case "cloud":
                    resources.Cloud = value.ToString()?.ToLowerInvariant();
                    break;
                case "region":
                    resources.Region = value.ToString();
                    break;
                case "zone":
                    resources.Zone = value.ToString();
                    break;
                case "instance_type":
                    resources.InstanceType = value.ToString();
                    break;
                case "disk_tier":
                    resources.DiskTier = value.ToString();
                    break;
                case "use_spot":
                    if (MiniYaml.AsBool(value) is not { } spot)
                    {
                        return TypeError(prefix, value, "boolean", "$.use_spot");
                    }

                    resources.UseSpot = spot;
                    break;
                case "disk_size":
                    var size = value.ToString()!.Replace("GB", "", StringComparison.OrdinalIgnoreCase).Trim();
                    if (!int.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out var disk))
                    {
                        return TypeError(prefix, value, "integer", "$.disk_size");
                    }

                    resources.DiskSize = disk;
                    break;
                case "accelerators":
                    resources.Accelerators = AcceleratorChoices(value);
                    break;
                case "ports":
                    var ports = PortList(value);
                    if (ports is null)
                    {
                        return TypeError(prefix, value, "integer", "$.ports");
                    }

                    resources.Ports = ports;
                    break;
            }
        }

        return null;
    }

    /// <summary>"H100:8", "H100", {H100: 8}, {H100:1, L4:1} (a set), ['A100-80GB:8', 'H100:8'] → "NAME:COUNT" alternatives.</summary>
    public static List<string> AcceleratorChoices(object? value) => value switch
    {
        YamlScalar s => [Normalize(s.Text)],
        OrderedDictionary<string, object?> map => [.. map.Select(e => e.Value is null ? Normalize(e.Key) : $"{e.Key}:{e.Value}")],
        List<object?> list => [.. list.Where(v => v is not null).Select(v => Normalize(v!.ToString()!))],
        _ => [],
    };

    private static string Normalize(string accelerator)
    {
        var text = accelerator.Trim();
        return text.Contains(':', StringComparison.Ordinal) ? text : text + ":1";
    }

    /// <summary>8081, "8081", "8000-8010" or a list of those.</summary>
    public static List<int>? PortList(object? value)
    {
        var ports = new List<int>();
        var items = value is List<object?> list ? list : [value];
        foreach (var item in items)
        {
            var text = item?.ToString() ?? "";
            var dash = text.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0
                && int.TryParse(text[..dash], NumberStyles.Integer, CultureInfo.InvariantCulture, out var from)
                && int.TryParse(text[(dash + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var to)
                && from <= to && to - from < 100)
            {
                ports.AddRange(Enumerable.Range(from, to - from + 1));
            }
            else if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
            {
                ports.Add(port);
            }
            else
            {
                return null;
            }
        }

        return [.. ports.Distinct()];
    }

    private static TaskError? CheckFields(OrderedDictionary<string, object?> map, string[] known, string prefix)
    {
        var message = "";
        foreach (var field in map.Keys)
        {
            if (known.Contains(field))
            {
                continue;
            }

            var similar = CloseMatches.Best(field, known);
            message += similar is null
                ? $"Found unsupported field '{field}'."
                : $"Instead of '{field}', did you mean '{similar}'?";
        }

        return message.Length == 0 ? null : new TaskError(SchemaError, prefix + message);
    }

    private static TaskError TypeError(string prefix, object value, string type, string jsonPath)
    {
        var shown = type == "object" ? "dict" : type;
        return new TaskError(SchemaError, $"{prefix}{Show(value)} is not of type '{shown}'. Check problematic field(s): {jsonPath}");
    }

    /// <summary>Python repr-ish rendering of a YAML value for jsonschema messages.</summary>
    private static string Show(object? value) => value switch
    {
        null => "None",
        YamlScalar { Plain: true } s when MiniYaml.AsInt(s) is not null || MiniYaml.AsBool(s) is not null => s.Text,
        YamlScalar s => $"'{s.Text}'",
        List<object?> list => "[" + string.Join(", ", list.Select(Show)) + "]",
        OrderedDictionary<string, object?> map => "{" + string.Join(", ", map.Select(e => $"'{e.Key}': {Show(e.Value)}")) + "}",
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex EnvName();
}

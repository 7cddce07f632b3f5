using System.Text.Json;

namespace CrossLogic.Cli.Invocation;

/// <summary>The operator's config file: the server and token they would otherwise type on every call.</summary>
internal sealed record ConfigFile(string Path, string? Server, string? Token)
{
    /// <summary>`$XDG_CONFIG_HOME/clctl/config.json`, else `~/.config/clctl/config.json`.</summary>
    public static string DefaultPath()
    {
        var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return System.IO.Path.Combine(configHome, "clctl", "config.json");
    }

    /// <summary>Reads the file; a missing default file is an empty config, a missing named one an error.</summary>
    public static ConfigFile Load(string? explicitPath)
    {
        var path = explicitPath ?? DefaultPath();
        if (!File.Exists(path))
        {
            return explicitPath is null
                ? new ConfigFile(path, null, null)
                : throw new CliException(ExitCodes.Usage, $"config file {path} does not exist", "create it or point --config at another file");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Failed, $"cannot read config file {path}: {ex.Message}", "check its permissions or point --config at another file", ex);
        }

        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, "it must be a JSON object like {\"server\": \"http://127.0.0.1:7001\", \"token\": \"...\"}");
            }

            return new ConfigFile(path, ReadString(document.RootElement, "server", path), ReadString(document.RootElement, "token", path));
        }
        catch (JsonException ex)
        {
            // The parser's message names the line and position, never the content.
            throw Invalid(path, $"not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1})", ex);
        }
    }

    private static string? ReadString(JsonElement root, string name, string path) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw Invalid(path, $"\"{name}\" must be a string");

    private static CliException Invalid(string path, string reason, Exception? inner = null) =>
        new(ExitCodes.Failed, $"config file {path} is invalid: {reason}", "fix the file, or point --config at another one", inner);
}

using Microsoft.Extensions.Configuration;

namespace CrossLogic.Agent.Configuration;

/// <summary>Reads the config file, applies `CROSSLOGIC_AGENT_*` environment overrides, binds and validates.</summary>
internal static class AgentConfigLoader
{
    public const string EnvironmentPrefix = "CROSSLOGIC_AGENT_";

    public static AgentConfigResult Load(string path, IDictionary<string, string?>? environmentOverrides = null)
    {
        if (!File.Exists(path))
        {
            return AgentConfigResult.Failed(new ConfigError("--config", $"file '{path}' does not exist"));
        }

        IConfigurationRoot configuration;
        try
        {
            var builder = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false);
            builder = environmentOverrides is null
                ? builder.AddEnvironmentVariables(EnvironmentPrefix)
                : builder.AddInMemoryCollection(environmentOverrides);
            configuration = builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
        {
            return AgentConfigResult.Failed(new ConfigError("--config", $"'{path}' is not valid JSON: {ex.Message}"));
        }

        var options = new AgentOptions();
        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key: "Failed to convert configuration value 'x' at 'Probe:Port' to type 'System.Int32'."
            return AgentConfigResult.Failed(new ConfigError(ExtractKey(ex.Message), ex.Message));
        }

        options.Staging = CrossLogic.Agent.Staging.StagingOptionsReader.Read(configuration.GetSection(CrossLogic.Agent.Staging.StagingOptions.SectionName));
        var errors = AgentOptionsValidator.Validate(options);
        return errors.Count == 0 ? new AgentConfigResult(options, []) : new AgentConfigResult(null, errors);
    }

    private static string ExtractKey(string message)
    {
        const string marker = " at '";
        var start = message.IndexOf(marker, StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('\'', start + marker.Length);
        return end > start ? message[(start + marker.Length)..end] : "config";
    }
}

/// <summary>Either bound options or the list of problems, never both.</summary>
internal sealed record AgentConfigResult(AgentOptions? Options, IReadOnlyList<ConfigError> Errors)
{
    public static AgentConfigResult Failed(ConfigError error) => new(null, [error]);
}

using System.CommandLine;
using CrossLogic.Agent.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CrossLogic.Agent.Hosting;

/// <summary>`crosslogic-agent run --config FILE` and `--version`.</summary>
internal static class AgentCommandLine
{
    /// <summary>Exit code for a configuration the agent refuses to start with.</summary>
    public const int BadConfigExitCode = 2;

    /// <summary>The control plane fenced this node (declared dead, replaced): restarting the agent cannot help.</summary>
    public const int FencedExitCode = 3;

    public static RootCommand Build()
    {
        var config = new Option<string>("--config", "-c")
        {
            Description = "Path to the agent's JSON config file. CROSSLOGIC_AGENT_<Key> environment variables override it (':' written as '__').",
            Required = true,
        };
        var run = new Command("run", "Run the agent: serve the probe API and hold the link to the control plane.") { config };
        run.SetAction((parse, cancellationToken) => RunAsync(parse.GetRequiredValue(config), cancellationToken));

        var gpus = new Command("gpus", "Print the GPU inventory and health as NVML reports it; exit code 1 when a GPU is not healthy.");
        gpus.SetAction(_ => Gpu.GpusCommand.Run(Console.Out));

        return new RootCommand("CrossLogic node agent: supervises the inference engine and reports to the control plane.") { run, gpus, Staging.StageCommand.Build() };
    }

    private static async Task<int> RunAsync(string configPath, CancellationToken cancellationToken)
    {
        var loaded = AgentConfigLoader.Load(configPath);
        if (loaded.Options is not { } options)
        {
            foreach (var error in loaded.Errors)
            {
                await Console.Error.WriteLineAsync($"crosslogic-agent: bad config: {error}").ConfigureAwait(false);
            }

            return BadConfigExitCode;
        }

        string token;
        try
        {
            token = options.ControlPlane.TokenFile is { Length: > 0 } file ? (await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false)).Trim() : options.ControlPlane.Token!.Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"crosslogic-agent: bad config: ControlPlane:TokenFile: {ex.Message}").ConfigureAwait(false);
            return BadConfigExitCode;
        }

        if (token.Length == 0)
        {
            await Console.Error.WriteLineAsync("crosslogic-agent: bad config: ControlPlane:Token: is empty").ConfigureAwait(false);
            return BadConfigExitCode;
        }

        var app = AgentHost.Build(options, new NodeCredential(token));
        var link = app.Services.GetRequiredService<Link.LinkState>();
        try
        {
            await app.RunAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // Kestrel could not bind the probe port (in use, no permission).
            await Console.Error.WriteLineAsync($"crosslogic-agent: cannot serve Probe:Port {options.Probe.Port}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }

        return link.Fenced ? FencedExitCode : 0;
    }
}

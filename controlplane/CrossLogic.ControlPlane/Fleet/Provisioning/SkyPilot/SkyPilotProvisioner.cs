using System.Globalization;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;

/// <summary>
/// Clusters through the SkyPilot CLI: `sky launch -y -d -c NAME task.yaml` with the node's secrets passed as
/// `--secret NAME` (values in the environment of `sky`, never on its command line or in the YAML), `sky down -y NAME`
/// confirmed by `sky status` (down exits 0 for a cluster it does not know and even when teardown failed), and
/// `sky status --refresh` as JSON where the installed SkyPilot has `-o json`, else its table.
/// </summary>
internal sealed class SkyPilotProvisioner(SkyCli sky, IOptions<SkyPilotOptions> options, ILogger<SkyPilotProvisioner> logger) : INodeProvisioner
{
    public const int EnginePort = 8000;
    public const int ProbePort = 7070;
    private bool? _hasJsonOutput;

    public string Name => "skypilot";

    private SkyPilotOptions Options => options.Value;

    public async Task<LaunchedCluster> LaunchAsync(LaunchSpec spec, CancellationToken cancellationToken)
    {
        var taskFile = Path.Combine(Path.GetTempPath(), $"crosslogic-{spec.ClusterName}-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(taskFile, RenderTask(spec), cancellationToken).ConfigureAwait(false);
        try
        {
            var secrets = new Dictionary<string, string>
            {
                ["CROSSLOGIC_NODE_TOKEN"] = spec.NodeToken,
                ["CROSSLOGIC_ENGINE_API_KEY"] = spec.EngineApiKey,
            };
            foreach (var name in Options.ExtraSecrets)
            {
                secrets[name] = Environment.GetEnvironmentVariable(name) ?? throw new ProvisionException(
                    ProvisionFailure.Invalid, $"Provisioners:SkyPilot:ExtraSecrets names {name}, which is not in the control plane's environment");
            }

            List<string> arguments = ["launch", "-y", "--detach-run", "-c", spec.ClusterName];
            foreach (var name in secrets.Keys)
            {
                arguments.AddRange(["--secret", name]);
            }

            arguments.Add(taskFile);
            var result = await sky.RunAsync(arguments, secrets, TimeSpan.FromSeconds(Options.LaunchTimeoutSeconds), cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw Failed("launch", spec.ClusterName, result);
            }
        }
        finally
        {
            File.Delete(taskFile);
        }

        var engine = await EndpointAsync(spec.ClusterName, EnginePort, cancellationToken).ConfigureAwait(false);
        var probe = await EndpointAsync(spec.ClusterName, ProbePort, cancellationToken).ConfigureAwait(false);
        var status = (await StatusAsync([spec.ClusterName], refresh: false, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        return new LaunchedCluster(spec.ClusterName, probe, "http://" + engine, status?.Cloud ?? spec.Cloud, status?.Region ?? spec.Region);
    }

    public async Task TeardownAsync(string clusterName, CancellationToken cancellationToken)
    {
        var result = await sky.RunAsync(["down", "-y", clusterName], null, CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failed("down", clusterName, result);
        }

        // `sky down` exits 0 when the cluster was unknown and when its teardown failed: only status tells which.
        var left = await StatusAsync([clusterName], refresh: false, cancellationToken).ConfigureAwait(false);
        if (left.Any(c => c.ClusterName == clusterName))
        {
            throw new ProvisionException(ProvisionFailure.Transient, $"sky down {clusterName}: the cluster is still there: {SkyErrorClassifier.Summary(result.Output)}");
        }
    }

    public async Task<IReadOnlyList<ClusterStatus>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await StatusAsync([], refresh: true, cancellationToken).ConfigureAwait(false)).Where(c => ClusterNames.IsOurs(c.ClusterName))];

    internal string RenderTask(LaunchSpec spec)
    {
        var o = Options;
        if (o.ControlPlaneUrl.Length == 0 || !o.AgentUrl.StartsWith("https://", StringComparison.Ordinal) || o.AgentSha256.Length != 64
            || !o.AgentSha256.All(char.IsAsciiHexDigit))
        {
            throw new ProvisionException(ProvisionFailure.Invalid,
                "skypilot: Provisioners:SkyPilot:ControlPlaneUrl, AgentUrl (https://…/crosslogic-agent.tar.gz) and AgentSha256 (its 64 hex digits) must be set");
        }

        var templatePath = o.TaskTemplate.Length > 0 ? o.TaskTemplate : Path.Combine(AppContext.BaseDirectory, "skypilot", "node-task.yaml");
        var values = new Dictionary<string, string>
        {
            ["cluster_name"] = spec.ClusterName,
            ["accelerators"] = $"{spec.GpuType}:{spec.GpuCount.ToString(CultureInfo.InvariantCulture)}",
            ["node_id"] = spec.NodeId,
            ["control_plane_url"] = o.ControlPlaneUrl,
            ["model"] = spec.Model,
            ["engine_args"] = string.Join(' ', spec.EngineArgs),
            ["tensor_parallel_size"] = spec.GpuCount.ToString(CultureInfo.InvariantCulture),
            ["cloud"] = spec.Cloud is "aws" or "gcp" or "azure" ? spec.Cloud : "",
            ["agent_url"] = o.AgentUrl,
            ["agent_sha256"] = o.AgentSha256,
            ["vllm_version"] = o.VllmVersion,
        };
        var scalars = new Dictionary<string, object>
        {
            ["use_spot"] = spec.Spot,
            ["disk_size_gb"] = o.DiskSizeGb,
        };
        return TaskTemplate.Render(File.ReadAllText(templatePath), values, scalars, spec.Cloud, spec.Region);
    }

    private TimeSpan CommandTimeout => TimeSpan.FromSeconds(Options.CommandTimeoutSeconds);

    private async Task<string> EndpointAsync(string clusterName, int port, CancellationToken cancellationToken)
    {
        var result = await sky.RunAsync(["status", "--endpoint", port.ToString(CultureInfo.InvariantCulture), clusterName], null, CommandTimeout, cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 ? SkyStatusParser.ParseEndpoint(result.StandardOutput) : throw Failed("status --endpoint", clusterName, result);
    }

    private async Task<IReadOnlyList<ClusterStatus>> StatusAsync(IReadOnlyList<string> names, bool refresh, CancellationToken cancellationToken)
    {
        _hasJsonOutput ??= await DetectJsonOutputAsync(cancellationToken).ConfigureAwait(false);
        List<string> arguments = ["status"];
        if (refresh)
        {
            arguments.Add("--refresh");
        }

        if (_hasJsonOutput == true)
        {
            arguments.AddRange(["-o", "json"]);
        }

        arguments.AddRange(names);
        var result = await sky.RunAsync(arguments, null, CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failed("status", string.Join(' ', names), result);
        }

        return _hasJsonOutput == true ? SkyStatusParser.ParseJson(result.StandardOutput) : SkyStatusParser.ParseTable(result.StandardOutput);
    }

    /// <summary>`-o/--output json` exists only in the newest SkyPilot; older ones get their table parsed.</summary>
    private async Task<bool> DetectJsonOutputAsync(CancellationToken cancellationToken)
    {
        var help = await sky.RunAsync(["status", "--help"], null, CommandTimeout, cancellationToken).ConfigureAwait(false);
        var json = help.ExitCode == 0 && help.Output.Contains("--output", StringComparison.Ordinal);
        FleetLog.SkyStatusFormat(logger, json ? "json" : "table");
        return json;
    }

    private static ProvisionException Failed(string command, string cluster, SkyCli.Result result)
    {
        var failure = SkyErrorClassifier.Classify(result.Output);
        return new ProvisionException(failure, $"sky {command} {cluster} (exit {result.ExitCode}, {ProvisionException.KindOf(failure)}): {SkyErrorClassifier.Summary(result.Output)}");
    }
}

using System.Text.RegularExpressions;
using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Fleet.Deployments;

/// <summary>Checks a deployment's fields; every message names the field to fix.</summary>
internal static partial class DeploymentValidator
{
    /// <summary>Arguments the agent and control plane set themselves; an operator's value would break routing or auth.</summary>
    private static readonly string[] ReservedEngineArgs = ["--api-key", "--port", "--host", "--served-model-name", "--tensor-parallel-size", "-tp"];

    public static string? DeploymentIdError(string id) =>
        DeploymentId().IsMatch(id) ? null : "deployment_id must be 1-40 lower case letters, digits or '-', starting with a letter";

    public static string? ModelError(string model, string field) =>
        model.Length == 0 ? $"{field} is required (the served model name, e.g. Qwen/Qwen2.5-0.5B-Instruct)"
        : model.Length > 256 || !ModelName().IsMatch(model) ? $"{field} must be at most 256 characters of letters, digits and ./_-:"
        : null;

    public static string? EngineArgsError(IReadOnlyList<string> args, string field)
    {
        if (args.Count > 64)
        {
            return $"{field}: at most 64 arguments";
        }

        foreach (var arg in args)
        {
            if (arg.Length is 0 or > 256 || !EngineArg().IsMatch(arg))
            {
                return $"{field}: '{Truncate(arg)}' must be 1-256 characters of letters, digits and ._:/=,+@- (no spaces or quotes)";
            }

            // vLLM's parser takes `--api_key` for `--api-key` and any unambiguous prefix (`--api`) for the whole name.
            var name = arg.Split('=')[0];
            var normalized = name.StartsWith("--", StringComparison.Ordinal) ? "--" + name[2..].Replace('_', '-') : name;
            if (ReservedEngineArgs.Any(r => r == normalized || (normalized.Length > 3 && r.StartsWith(normalized, StringComparison.Ordinal))))
            {
                return $"{field}: {name} is set by CrossLogic itself";
            }
        }

        return null;
    }

    public static string? InfraError(IReadOnlyList<string> infra, string field) =>
        infra.Count > 32 ? $"{field}: at most 32 entries"
        : infra.FirstOrDefault(i => !Infra().IsMatch(i)) is { } bad ? $"{field}: '{Truncate(bad)}' must look like 'aws' or 'aws/us-east-1'"
        : null;

    /// <summary>Replica bounds: 0 ≤ min ≤ replicas ≤ max ≤ limit (max 0 means the limit).</summary>
    public static string? ReplicasError(Deployment d, int limit)
    {
        var max = d.MaxReplicas == 0 ? limit : d.MaxReplicas;
        return d.Replicas < 0 ? "replicas must not be negative"
            : d.MinReplicas < 0 ? "min_replicas must not be negative"
            : d.MaxReplicas < 0 ? "max_replicas must not be negative"
            : d.MaxReplicas > limit ? $"max_replicas must be at most {limit} (Fleet:MaxReplicas)"
            : d.MinReplicas > max ? $"min_replicas ({d.MinReplicas}) must not exceed max_replicas ({max})"
            : d.Replicas < d.MinReplicas ? $"replicas ({d.Replicas}) must be at least min_replicas ({d.MinReplicas})"
            : d.Replicas > max ? $"replicas ({d.Replicas}) must not exceed max_replicas ({max})"
            : d.MaxSurge is < 0 or > 100 ? "max_surge must be between 0 and 100"
            : d.SpotPolicy is { OnDemandBase: < 0 } ? "spot_policy.on_demand_base must not be negative"
            : null;
    }

    public static string? GpuCountError(int count, bool automaticAllowed) =>
        count == 0 && automaticAllowed ? null
        : count is < 1 or > 16 ? automaticAllowed ? "gpu_count must be between 1 and 16, or 0 for automatic sizing" : "gpu_count must be between 1 and 16"
        : null;

    private static string Truncate(string value) => value.Length > 40 ? value[..40] + "…" : value;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex DeploymentId();

    [GeneratedRegex(@"^[A-Za-z0-9._/:-]+$")]
    private static partial Regex ModelName();

    [GeneratedRegex(@"^[A-Za-z0-9._:/=,+@-]+$")]
    private static partial Regex EngineArg();

    [GeneratedRegex(@"^[a-z0-9-]{1,32}(/[a-z0-9*-]{1,40})?$")]
    private static partial Regex Infra();
}

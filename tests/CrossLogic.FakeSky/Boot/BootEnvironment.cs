using System.Globalization;
using CrossLogic.FakeSky.Home;
using CrossLogic.FakeSky.Provision;

namespace CrossLogic.FakeSky.Boot;

/// <summary>The variables a task sees on a SkyPilot node, plus the fake's own (ports mapped to loopback).</summary>
internal static class BootEnvironment
{
    public static Dictionary<string, string> For(ClusterRecord cluster, IReadOnlyDictionary<string, string> secrets, string taskId)
    {
        var env = new Dictionary<string, string>(cluster.Envs);
        foreach (var (key, value) in secrets)
        {
            env[key] = value;
        }

        var placement = new Placement(cluster.Cloud, cluster.Region, cluster.Zone);
        var zone = cluster.Zone is null ? "null" : $"\"{cluster.Zone}\"";
        env["SKYPILOT_CLUSTER_INFO"] =
            $"{{\"cluster_name\": \"{cluster.Name}\", \"cloud\": \"{placement.CloudDisplay}\", \"region\": \"{cluster.Region}\", \"zone\": {zone}}}";
        env["SKYPILOT_NUM_GPUS_PER_NODE"] = GpusPerNode(cluster.Accelerators).ToString(CultureInfo.InvariantCulture);
        env["SKYPILOT_TASK_ID"] = taskId;
        env["SKYPILOT_NODE_RANK"] = "0";
        env["SKYPILOT_NODE_IPS"] = "127.0.0.1";
        env["SKYPILOT_NUM_NODES"] = cluster.Nodes.ToString(CultureInfo.InvariantCulture);
        env["SKYPILOT_SETUP_NODE_RANK"] = "0";
        env["SKYPILOT_SETUP_NODE_IPS"] = "127.0.0.1";
        env["FAKE_SKY_CLUSTER"] = cluster.Name;
        env["FAKE_SKY_JOB_ID"] = cluster.JobCount.ToString(CultureInfo.InvariantCulture);
        env["FAKE_SKY_SETUP"] = cluster.Setup ?? "";
        env["FAKE_SKY_RUN"] = cluster.Run ?? "";
        foreach (var (remote, local) in cluster.PortMap)
        {
            env[$"FAKE_SKY_PORT_{remote}"] = local.ToString(CultureInfo.InvariantCulture);
        }

        return env;
    }

    /// <summary>"H100:8" → 8 (ceil of a fractional count); none → 0.</summary>
    public static int GpusPerNode(string? accelerators)
    {
        if (accelerators is null)
        {
            return 0;
        }

        var colon = accelerators.LastIndexOf(':');
        return colon >= 0 && double.TryParse(accelerators[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var count)
            ? (int)Math.Ceiling(count)
            : 1;
    }
}

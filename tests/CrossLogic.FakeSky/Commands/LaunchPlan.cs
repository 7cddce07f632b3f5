using CrossLogic.FakeSky.Provision;
using CrossLogic.FakeSky.Task;

namespace CrossLogic.FakeSky.Commands;

/// <summary>What a launch will provision: the task after CLI overrides, placed and priced.</summary>
internal sealed record LaunchPlan(
    string Cluster,
    TaskSpec Task,
    Placement Placement,
    Offering Offering,
    bool UseSpot,
    int DiskSize,
    string? DiskTier,
    IReadOnlyList<int> Ports,
    IReadOnlyList<string> AcceleratorChoices,
    int? Autostop,
    bool ToDown)
{
    public int Nodes => Task.NumNodes;

    public string Repr => ProvisionErrors.Repr(Placement, Offering, UseSpot, DiskSize, Ports);

    /// <summary>Applies the CLI's resource flags over the YAML's (CLI wins), then places and prices the result.</summary>
    public static LaunchPlan? Create(string cluster, TaskSpec task, LaunchRequest request, out (string Type, string Message)? error)
    {
        error = null;
        var args = request.Args;
        var resources = task.Resources;
        if (args.Get("cloud") is not null || args.Get("region") is not null || args.Get("zone") is not null)
        {
            Console.Out.WriteLine("The --cloud, --region, and --zone options are deprecated. Use --infra instead.");
        }

        var infra = args.Get("infra") ?? (args.Get("cloud") is null ? resources.Infra : null);
        var placement = InfraResolver.Resolve(
            infra,
            args.Get("cloud") ?? resources.Cloud,
            args.Get("region") ?? resources.Region,
            args.Get("zone") ?? resources.Zone,
            out var infraError);
        if (placement is null)
        {
            error = ("ValueError", infraError!);
            return null;
        }

        var useSpot = args.Tristate("use_spot") ?? resources.UseSpot;
        var accelerators = args.Get("gpus") is { } gpus ? TaskYamlReader.AcceleratorChoices(new YamlScalar(gpus, Plain: true)) : resources.Accelerators;
        var ports = resources.Ports;
        if (args.GetAll("ports").Count > 0)
        {
            var fromCli = TaskYamlReader.PortList(args.GetAll("ports").Select(p => (object?)new YamlScalar(p, Plain: true)).ToList());
            if (fromCli is null)
            {
                error = ("ValueError", $"Invalid port specification: {string.Join(", ", args.GetAll("ports"))}");
                return null;
            }

            ports = fromCli;
        }

        if (request.NumNodes is { } nodes)
        {
            task.NumNodes = nodes;
        }

        if (useSpot && placement.Cloud == "lambda")
        {
            // Lambda has no spot offering: the catalog comes back empty.
            error = (ProvisionErrors.ResourcesUnavailable, ProvisionErrors.Catalog(task.NumNodes, placement, accelerators, spot: true));
            return null;
        }

        var offering = Catalog.Choose(placement.Cloud, accelerators, args.Get("instance_type") ?? resources.InstanceType, useSpot);
        int? autostop = request.IdleMinutes ?? (args.Flag("down") ? 0 : null);
        return new LaunchPlan(
            cluster,
            task,
            placement,
            offering,
            useSpot,
            request.DiskSize ?? resources.DiskSize ?? 256,
            args.Get("disk_tier") ?? resources.DiskTier,
            ports,
            accelerators,
            autostop,
            args.Flag("down"));
    }
}

using CrossLogic.Cli.Offers;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>One deployment in detail: its spec, replica counts, how it was sized, and the offers it draws from.</summary>
internal static class DeploymentDetails
{
    public static void Write(Terminal terminal, Deployment deployment)
    {
        var details = Terminal.NewDetails();
        Terminal.AddDetail(details, "Deployment", Formats.OrDash(deployment.DeploymentId));
        Terminal.AddDetail(details, "State", Formats.EnumName(deployment.State));
        Terminal.AddDetail(details, "Model", deployment.Model);
        Terminal.AddDetail(details, "GPUs", Formats.Gpus(deployment.GpuType, deployment.GpuCount) + " per replica");
        Terminal.AddDetail(details, "Replicas", $"{deployment.Replicas} desired, {deployment.ReadyReplicas} ready, {deployment.PendingReplicas} pending (min {deployment.MinReplicas}, max {deployment.MaxReplicas}, surge {deployment.MaxSurge})");
        var spot = deployment.SpotPolicy ?? new SpotPolicy();
        Terminal.AddDetail(details, "Spot policy", $"{SpotPolicyNames.Name(spot.Mode)}, {spot.OnDemandBase} on-demand base");
        var placement = deployment.Placement ?? new Placement();
        Terminal.AddDetail(details, "Placement", (placement.Infra.Count > 0 ? string.Join(", ", placement.Infra) : "anywhere") + (placement.Spread ? ", spread" : ""));
        Terminal.AddDetail(details, "Provisioner", Formats.OrDash(deployment.Provisioner));
        if (deployment.EngineArgs.Count > 0)
        {
            Terminal.AddDetail(details, "Engine args", string.Join(' ', deployment.EngineArgs));
        }

        Terminal.AddDetail(details, "Created", Formats.Time(deployment.CreateTime));
        Terminal.AddDetail(details, "Updated", Formats.Time(deployment.UpdateTime));
        terminal.Write(details);
        WriteSizing(terminal, deployment);
        WriteOffers(terminal, deployment);
    }

    public static void WriteSizing(Terminal terminal, Deployment deployment)
    {
        if (deployment.Sizing is not { } sizing || (sizing.Explanation.Length == 0 && sizing.GpuCount == 0))
        {
            return;
        }

        terminal.Line();
        terminal.Line($"Sizing: {sizing.GpuCount} GPU(s), tensor parallel {sizing.TensorParallelSize}; weights {Formats.Number(sizing.WeightsGib)} GiB + KV cache {Formats.Number(sizing.KvCacheGib)} GiB, {Formats.Number(sizing.RequiredGib)} GiB needed, {Formats.Number(sizing.UsableGibPerGpu)} GiB usable per GPU");
        if (sizing.Explanation.Length > 0)
        {
            terminal.Line("  " + sizing.Explanation);
        }
    }

    public static void WriteOffers(Terminal terminal, Deployment deployment)
    {
        terminal.Line();
        if (deployment.Offers.Count == 0)
        {
            terminal.Line("Offers: none");
            return;
        }

        terminal.Line("Offers (best first):");
        OfferTable.Write(terminal, deployment.Offers);
    }
}

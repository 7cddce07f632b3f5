using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>Deployments as a table: one row each, desired against ready and pending.</summary>
internal static class DeploymentTable
{
    public static void Write(Terminal terminal, IEnumerable<Deployment> deployments)
    {
        var table = terminal.NewTable("NAME", "MODEL", "GPUS", "PROVISIONER", "DESIRED", "READY", "PENDING", "STATE");
        foreach (var deployment in deployments)
        {
            Terminal.AddRow(
                table,
                deployment.DeploymentId,
                deployment.Model,
                Formats.Gpus(deployment.GpuType, deployment.GpuCount),
                Formats.OrDash(deployment.Provisioner),
                Formats.Number(deployment.Replicas),
                Formats.Number(deployment.ReadyReplicas),
                Formats.Number(deployment.PendingReplicas),
                Formats.EnumName(deployment.State));
        }

        terminal.Write(table);
    }
}

using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>`clctl deployments create NAME --model M --gpu L4 --replicas N …`, with `--dry-run` and `--wait`.</summary>
internal static class DeploymentCreateCommand
{
    public static Command Create(GlobalOptions options)
    {
        var name = DeploymentsCommand.NameArgument();
        var model = new Option<string>("--model") { Description = "The served model name (a Hugging Face id); requests with this model go to the replicas", HelpName = "MODEL", Required = true };
        var gpu = new Option<string>("--gpu") { Description = "GPU type: H100, A100-80GB, L4…", HelpName = "GPU", Required = true };
        var gpuCount = CliOptions.Count("--gpu-count", "GPUs per replica; 0 sizes automatically from the model", 0);
        var replicas = CliOptions.Count("--replicas", "Desired replica count", 0, required: true);
        var min = CliOptions.Count("--min", "Fewest replicas", 0);
        var max = CliOptions.Count("--max", "Most replicas (0: the control plane's Fleet:MaxReplicas)", 0);
        var spotPolicy = CliOptions.Choice("--spot-policy", "spot-first (default), on-demand or spot-only", SpotPolicyNames.All);
        var onDemandBase = CliOptions.Count("--on-demand-base", "This many replicas are always on-demand", 0);
        var infra = CliOptions.Repeated("--infra", "Where replicas may run: aws, gcp/us-central1 (repeat for more; default anywhere)", "CLOUD[/REGION]");
        var spread = new Option<bool>("--spread") { Description = "Spread replicas across clouds and regions" };
        var maxSurge = CliOptions.Count("--max-surge", "Nodes above --replicas while replacing or scaling (0 means 1)", 0);
        var provisioner = CliOptions.Choice("--provisioner", "local or skypilot (default: the control plane's Fleet:DefaultProvisioner)", "local", "skypilot");
        var engineArgs = CliOptions.Repeated("--engine-arg", "An extra `vllm serve` argument, e.g. --engine-arg=--max-model-len=8192 (repeat for more)", "ARG");
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate and size only: print the sizing and the offers, create nothing" };
        var wait = DeploymentsCommand.WaitOption("Wait until every replica is ready, showing progress");
        var timeout = DeploymentsCommand.TimeoutOption();
        var command = new Command("create", "Create a deployment; the reconciler launches its replicas")
        {
            name, model, gpu, gpuCount, replicas, min, max, spotPolicy, onDemandBase, infra, spread, maxSurge, provisioner, engineArgs, dryRun, wait, timeout.Option,
        };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var id = ResourceNames.Id(ResourceNames.Deployment(context.Value(name)));
            var deployment = new Deployment
            {
                Model = context.Value(model),
                GpuType = context.Value(gpu),
                GpuCount = context.Value(gpuCount),
                Replicas = context.Value(replicas),
                MinReplicas = context.Value(min),
                MaxReplicas = context.Value(max),
                MaxSurge = context.Value(maxSurge),
                Provisioner = context.Parse.GetValue(provisioner) ?? "",
                SpotPolicy = new SpotPolicy { Mode = SpotPolicyNames.Mode(context.Parse.GetValue(spotPolicy) ?? SpotPolicyNames.SpotFirst), OnDemandBase = context.Value(onDemandBase) },
                Placement = new Placement { Spread = context.Value(spread) },
            };
            deployment.Placement.Infra.AddRange(context.Value(infra));
            deployment.EngineArgs.AddRange(context.Value(engineArgs));
            var request = new CreateDeploymentRequest { DeploymentId = id, Deployment = deployment, ValidateOnly = context.Value(dryRun) };
            var created = await context.Fleet.CreateDeploymentAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (request.ValidateOnly)
            {
                WriteDryRun(context, id, created);
                return;
            }

            if (context.Value(wait))
            {
                var waiter = new DeploymentWaiter(context, TimeProvider.System);
                if (!context.Json)
                {
                    context.Terminal.Line($"Created deployment {id}; waiting for {created.Replicas} ready replica(s).");
                }

                created = await waiter.WaitAsync(ResourceNames.Deployment(id), 0, DeploymentWaiter.IsReady, timeout.Get(context.Parse), cancellationToken).ConfigureAwait(false) ?? created;
                WriteResult(context, created, $"Deployment {id}: {created.ReadyReplicas}/{created.Replicas} ready.");
                return;
            }

            WriteResult(context, created, $"Created deployment {id} ({created.Replicas} replica(s) of {created.Model} on {Formats.Gpus(created.GpuType, created.GpuCount)}); follow it with 'clctl deployments get {id}' or --wait.");
        });
        return command;
    }

    private static void WriteResult(CommandContext context, Deployment deployment, string line)
    {
        if (context.Json)
        {
            JsonOutput.Write(deployment);
        }
        else
        {
            context.Terminal.Line(line);
        }
    }

    private static void WriteDryRun(CommandContext context, string id, Deployment preview)
    {
        if (context.Json)
        {
            JsonOutput.Write(preview);
            return;
        }

        context.Terminal.Line($"Dry run: deployment {id} is valid and would run {preview.Replicas} replica(s) of {preview.Model} on {Formats.Gpus(preview.GpuType, preview.GpuCount)} via {Formats.OrDash(preview.Provisioner)}. Nothing was created.");
        DeploymentDetails.WriteSizing(context.Terminal, preview);
        DeploymentDetails.WriteOffers(context.Terminal, preview);
    }
}

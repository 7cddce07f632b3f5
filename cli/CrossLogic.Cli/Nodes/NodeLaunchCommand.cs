using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Nodes;

/// <summary>`clctl nodes launch --model M --gpu H100 [--gpu-count 1] [--infra aws/us-east-1] [--spot] [--provisioner P]`.</summary>
internal static class NodeLaunchCommand
{
    public static Command Create(GlobalOptions options)
    {
        var model = new Option<string>("--model") { Description = "The served model name (a Hugging Face id)", HelpName = "MODEL", Required = true };
        var gpu = new Option<string>("--gpu") { Description = "GPU type: H100, A100-80GB, L4…", HelpName = "GPU", Required = true };
        var gpuCount = CliOptions.Count("--gpu-count", "GPUs on the machine", 1);
        var infra = new Option<string?>("--infra") { Description = "Where: aws, aws/us-east-1 (default: the provisioner chooses)", HelpName = "CLOUD[/REGION]" };
        var spot = new Option<bool>("--spot") { Description = "A spot machine" };
        var provisioner = CliOptions.Choice("--provisioner", "local or skypilot (default: the control plane's Fleet:DefaultProvisioner)", "local", "skypilot");
        var engineArgs = CliOptions.Repeated("--engine-arg", "An extra `vllm serve` argument (repeat for more)", "ARG");
        var command = new Command("launch", "Launch one node outside any deployment") { model, gpu, gpuCount, infra, spot, provisioner, engineArgs };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var request = new LaunchNodeRequest
            {
                Model = context.Value(model),
                GpuType = context.Value(gpu),
                GpuCount = context.Value(gpuCount),
                Infra = context.Parse.GetValue(infra) ?? "",
                Spot = context.Value(spot),
                Provisioner = context.Parse.GetValue(provisioner) ?? "",
            };
            request.EngineArgs.AddRange(context.Value(engineArgs));
            var node = await context.Fleet.LaunchNodeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(node);
                return;
            }

            context.Terminal.Line($"Launching node {node.NodeId} ({NodeTable.State(node)}); follow it with 'clctl events --follow --node {node.NodeId}'.");
        });
        return command;
    }
}

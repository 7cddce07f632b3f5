using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Offers;

/// <summary>`clctl offers GPU [--count N] [--infra X]...`: where a GPU can be rented and for how much.</summary>
internal static class OffersCommand
{
    public static Command Create(GlobalOptions options)
    {
        var gpu = new Argument<string>("GPU") { Description = "GPU type: H100, A100-80GB, L4…" };
        var count = CliOptions.Count("--count", "GPUs per machine", 1);
        var infra = CliOptions.Repeated("--infra", "Only here: aws, gcp/us-central1 (repeat for more)", "CLOUD[/REGION]");
        var command = new Command("offers", "The cheapest spot and on-demand offers of a GPU per cloud and region") { gpu, count, infra };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var request = new ListOffersRequest { GpuType = context.Value(gpu), GpuCount = context.Value(count) };
            request.Infra.AddRange(context.Value(infra));
            var response = await context.Fleet.ListOffersAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(response);
            }
            else if (response.Offers.Count == 0)
            {
                context.Terminal.Line($"No offers for {Formats.Gpus(request.GpuType, request.GpuCount)}.");
            }
            else
            {
                OfferTable.Write(context.Terminal, response.Offers);
            }
        });
        return command;
    }
}

using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;
using Grpc.Core;

namespace CrossLogic.Cli.Events;

/// <summary>`clctl events [--follow] [--node ID | --deployment NAME] [--backlog N]`: Fleet.WatchEvents, one line per event.</summary>
internal static class EventsCommand
{
    public static Command Create(GlobalOptions options)
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events as they are recorded (Ctrl-C ends)" };
        var node = new Option<string?>("--node") { Description = "Only this node's events", HelpName = "ID" };
        var deployment = new Option<string?>("--deployment") { Description = "Only this deployment's events", HelpName = "NAME" };
        var backlog = CliOptions.Count("--backlog", "How many recent events come first (0: the server's default, 20)", 0);
        var command = new Command("events", "Node and deployment events: the recent ones, then with --follow each new one") { follow, node, deployment, backlog };
        command.Validators.Add(result =>
        {
            if (result.GetResult(node) is not null && result.GetResult(deployment) is not null)
            {
                result.AddError("--node and --deployment cannot be combined");
            }
        });
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var request = new WatchEventsRequest
            {
                Follow = context.Value(follow),
                Backlog = context.Value(backlog),
                Filter = context.Parse.GetValue(node) is { Length: > 0 } n ? ResourceNames.Node(n)
                    : context.Parse.GetValue(deployment) is { Length: > 0 } d ? ResourceNames.Deployment(d)
                    : "",
            };
            var collected = new List<WatchEventsResponse>();
            try
            {
                using var call = context.Fleet.WatchEvents(request, cancellationToken: cancellationToken);
                await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!context.Json)
                    {
                        Console.Out.WriteLine(EventLine.Format(response));
                    }
                    else if (request.Follow)
                    {
                        JsonOutput.WriteLine(response);
                    }
                    else
                    {
                        collected.Add(response);
                    }
                }
            }
            catch (Exception error) when (cancellationToken.IsCancellationRequested && error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
            {
                // Ctrl-C ends a follow: that is how it is meant to stop, not a failure.
                return;
            }

            if (context.Json && !request.Follow)
            {
                JsonOutput.Write(new System.Text.Json.Nodes.JsonObject
                {
                    ["events"] = new System.Text.Json.Nodes.JsonArray([.. collected.Select(e => JsonOutput.ToNode(e))]),
                });
            }
        });
        return command;
    }
}

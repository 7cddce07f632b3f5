using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Cli.Usage;

/// <summary>`clctl usage --tenant T [--since 24h] [--key KEY_ID]`: requests and tokens per key, model and node.</summary>
internal static class UsageCommand
{
    public static Command Create(GlobalOptions options)
    {
        var tenant = new Option<string>("--tenant") { Description = "The tenant", HelpName = "TENANT", Required = true };
        var since = CliOptions.Duration("--since", "How far back", TimeSpan.FromHours(24));
        var key = new Option<string?>("--key") { Description = "Only this key", HelpName = "KEY_ID" };
        var command = new Command("usage", "A tenant's requests and tokens, per key, model and node") { tenant, since.Option, key };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var request = new GetUsageRequest
            {
                Parent = ResourceNames.Tenant(context.Value(tenant)),
                StartTime = Timestamp.FromDateTimeOffset(now - since.Get(context.Parse)),
                EndTime = Timestamp.FromDateTimeOffset(now),
                KeyId = context.Parse.GetValue(key) ?? "",
            };
            var usage = await context.Gateway.GetUsageAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(usage);
                return;
            }

            var terminal = context.Terminal;
            terminal.Line($"Usage of tenant {ResourceNames.Id(request.Parent)} since {Formats.Time(request.StartTime)}:");
            if (usage.Rows.Count > 0)
            {
                var table = terminal.NewTable("KEY ID", "MODEL", "NODE", "REQUESTS", "PROMPT TOKENS", "COMPLETION TOKENS", "TOTAL TOKENS");
                foreach (var row in usage.Rows)
                {
                    Terminal.AddRow(table, row.KeyId, row.Model, Formats.OrDash(row.NodeId), Formats.Number(row.Requests), Formats.Number(row.PromptTokens), Formats.Number(row.CompletionTokens), Formats.Number(row.TotalTokens));
                }

                terminal.Write(table);
            }

            terminal.Line($"Total: {usage.Requests} request(s), {usage.PromptTokens} prompt + {usage.CompletionTokens} completion = {usage.TotalTokens} token(s).");
        });
        return command;
    }
}

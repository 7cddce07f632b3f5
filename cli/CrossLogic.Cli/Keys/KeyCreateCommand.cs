using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Cli.Keys;

/// <summary>`clctl keys create --tenant T [--name N] [--expires-in 30d] [--models m1,m2] [--rpm N] [--tpm N]`.</summary>
internal static class KeyCreateCommand
{
    public static Command Create(GlobalOptions options)
    {
        var tenant = KeysCommand.TenantOption();
        var displayName = new Option<string?>("--name") { Description = "A name to recognise the key by", HelpName = "NAME" };
        var expiresIn = CliOptions.OptionalDuration("--expires-in", "The key stops working after this long (default: never)");
        var models = new Option<string?>("--models") { Description = "Comma-separated models the key may use (default: every model)", HelpName = "M1,M2" };
        var rpm = CliOptions.Count("--rpm", "Requests per minute (0: no limit)", 0);
        var tpm = new Option<long>("--tpm") { Description = "Tokens per minute (0: no limit)", HelpName = "N" };
        var command = new Command("create", "Mint an API key; it is shown once") { tenant, displayName, expiresIn, models, rpm, tpm };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var spec = new ApiKey
            {
                DisplayName = context.Parse.GetValue(displayName) ?? "",
                RequestsPerMinute = context.Value(rpm),
                TokensPerMinute = context.Value(tpm),
            };
            if (context.Parse.GetValue(expiresIn) is { } lifetime)
            {
                spec.ExpireTime = Timestamp.FromDateTimeOffset(TimeProvider.System.GetUtcNow() + lifetime);
            }

            spec.AllowedModels.AddRange((context.Parse.GetValue(models) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            var request = new CreateApiKeyRequest { Parent = ResourceNames.Tenant(context.Value(tenant)), ApiKey = spec };
            var response = await context.Gateway.CreateApiKeyAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(response);
                return;
            }

            var key = response.ApiKey;
            context.Terminal.Line($"Created API key {key.KeyId} for tenant {key.Tenant}" + (key.ExpireTime is null ? "." : $", expiring {Formats.Time(key.ExpireTime)}."));
            context.Terminal.Line();
            context.Terminal.Line("  " + response.Key);
            context.Terminal.Line();
            context.Terminal.Line("Store it now: it cannot be shown again (the control plane keeps only its hash).");
        });
        return command;
    }
}

using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Keys;

/// <summary>`clctl keys revoke KEY_ID --tenant T`.</summary>
internal static class KeyRevokeCommand
{
    public static Command Create(GlobalOptions options)
    {
        var keyId = new Argument<string>("KEY_ID") { Description = "The key's id (from 'clctl keys list')" };
        var tenant = KeysCommand.TenantOption();
        var command = new Command("revoke", "Revoke an API key at once") { keyId, tenant };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var request = new RevokeApiKeyRequest { Name = ResourceNames.ApiKey(context.Value(tenant), context.Value(keyId)) };
            var key = await context.Gateway.RevokeApiKeyAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                JsonOutput.Write(key);
                return;
            }

            context.Terminal.Line($"Revoked API key {key.KeyId} of tenant {key.Tenant} (at {Formats.Time(key.RevokeTime)}).");
        });
        return command;
    }
}

using System.CommandLine;
using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Keys;

/// <summary>`clctl keys list --tenant T [--revoked]`: the tenant's keys, never their secrets.</summary>
internal static class KeyListCommand
{
    public static Command Create(GlobalOptions options)
    {
        var tenant = KeysCommand.TenantOption();
        var revoked = new Option<bool>("--revoked") { Description = "Also revoked keys" };
        var command = new Command("list", "List a tenant's API keys, newest first") { tenant, revoked };
        command.SetRunner(options, async (context, cancellationToken) =>
        {
            var response = new ListApiKeysResponse();
            var token = "";
            do
            {
                var request = new ListApiKeysRequest { Parent = ResourceNames.Tenant(context.Value(tenant)), PageSize = 1000, PageToken = token, ShowRevoked = context.Value(revoked) };
                var page = await context.Gateway.ListApiKeysAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
                response.ApiKeys.AddRange(page.ApiKeys);
                token = page.NextPageToken;
            }
            while (token.Length > 0);
            if (context.Json)
            {
                JsonOutput.Write(response);
                return;
            }

            if (response.ApiKeys.Count == 0)
            {
                context.Terminal.Line("No keys.");
                return;
            }

            var table = context.Terminal.NewTable("KEY ID", "NAME", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "MODELS", "RPM", "TPM");
            foreach (var key in response.ApiKeys)
            {
                Terminal.AddRow(
                    table,
                    key.KeyId,
                    Formats.OrDash(key.DisplayName),
                    key.Prefix,
                    Formats.Time(key.CreateTime),
                    key.ExpireTime is null ? "never" : Formats.Time(key.ExpireTime),
                    key.RevokeTime is null ? "-" : Formats.Time(key.RevokeTime),
                    key.AllowedModels.Count > 0 ? string.Join(',', key.AllowedModels) : "all",
                    key.RequestsPerMinute > 0 ? Formats.Number(key.RequestsPerMinute) : "-",
                    key.TokensPerMinute > 0 ? Formats.Number(key.TokensPerMinute) : "-");
            }

            context.Terminal.Write(table);
        });
        return command;
    }
}

using System.CommandLine;
using CrossLogic.Cli.Invocation;

namespace CrossLogic.Cli.Keys;

/// <summary>`clctl keys …`: the gateway's API keys, per tenant.</summary>
internal static class KeysCommand
{
    public static Command Create(GlobalOptions options)
    {
        var command = new Command("keys", "Create, list and revoke a tenant's API keys for the OpenAI-compatible gateway");
        command.Subcommands.Add(KeyCreateCommand.Create(options));
        command.Subcommands.Add(KeyListCommand.Create(options));
        command.Subcommands.Add(KeyRevokeCommand.Create(options));
        return command;
    }

    public static Option<string> TenantOption() => new("--tenant") { Description = "The tenant (lower case letters, digits, '-')", HelpName = "TENANT", Required = true };
}

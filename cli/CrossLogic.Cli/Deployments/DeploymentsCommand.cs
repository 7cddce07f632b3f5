using System.CommandLine;
using CrossLogic.Cli.Invocation;

namespace CrossLogic.Cli.Deployments;

/// <summary>`clctl deployments …`: models served by N replicas, kept at their count by the reconciler.</summary>
internal static class DeploymentsCommand
{
    public static Command Create(GlobalOptions options)
    {
        var command = new Command("deployments", "Create, scale, inspect and delete deployments");
        command.Subcommands.Add(DeploymentCreateCommand.Create(options));
        command.Subcommands.Add(DeploymentScaleCommand.Create(options));
        command.Subcommands.Add(DeploymentGetCommand.Create(options));
        command.Subcommands.Add(DeploymentListCommand.Create(options));
        command.Subcommands.Add(DeploymentDeleteCommand.Create(options));
        command.Subcommands.Add(DeploymentEventsCommand.Create(options));
        return command;
    }

    /// <summary>The `NAME` argument of the commands on one deployment.</summary>
    public static Argument<string> NameArgument() => new("NAME") { Description = "The deployment id (or deployments/NAME)" };

    public static Option<bool> WaitOption(string what) => new("--wait") { Description = what };

    public static DurationOption TimeoutOption() =>
        CliOptions.Duration("--timeout", "How long --wait waits before giving up (exit 7)", TimeSpan.FromMinutes(10));
}

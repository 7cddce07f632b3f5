using System.CommandLine;
using CrossLogic.Cli.Invocation;

namespace CrossLogic.Cli.Nodes;

/// <summary>`clctl nodes …`: the machines, one by one.</summary>
internal static class NodesCommand
{
    public static Command Create(GlobalOptions options)
    {
        var command = new Command("nodes", "List, inspect, drain, terminate and launch nodes");
        command.Subcommands.Add(NodeListCommand.Create(options));
        command.Subcommands.Add(NodeGetCommand.Create(options));
        command.Subcommands.Add(NodeDrainCommand.Create(options));
        command.Subcommands.Add(NodeTerminateCommand.Create(options));
        command.Subcommands.Add(NodeLaunchCommand.Create(options));
        return command;
    }

    /// <summary>The `ID` argument of the commands on one node.</summary>
    public static Argument<string> IdArgument() => new("ID") { Description = "The node id (or nodes/ID)" };
}

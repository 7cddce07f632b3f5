using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using CrossLogic.Cli.Deployments;
using CrossLogic.Cli.Events;
using CrossLogic.Cli.Keys;
using CrossLogic.Cli.Nodes;
using CrossLogic.Cli.Offers;
using CrossLogic.Cli.Status;
using CrossLogic.Cli.Usage;

namespace CrossLogic.Cli.Invocation;

/// <summary>The command tree of clctl, and how a command line becomes an exit code.</summary>
internal static class ClctlCommand
{
    public static RootCommand Create()
    {
        var options = new GlobalOptions();
        var root = new RootCommand("clctl: operate a CrossLogic control plane (its Fleet and Gateway gRPC APIs). See the exit codes below.");
        options.AddTo(root);
        root.Subcommands.Add(StatusCommand.Create(options));
        root.Subcommands.Add(NodesCommand.Create(options));
        root.Subcommands.Add(DeploymentsCommand.Create(options));
        root.Subcommands.Add(OffersCommand.Create(options));
        root.Subcommands.Add(KeysCommand.Create(options));
        root.Subcommands.Add(UsageCommand.Create(options));
        root.Subcommands.Add(EventsCommand.Create(options));
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new ExitCodesHelpAction((SynchronousCommandLineAction)help.Action!);
        return root;
    }

    /// <summary>Parses and runs; a parse error is a usage error (exit 2) with a pointer to the command's help.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            Console.Error.WriteLine("clctl: " + string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.'))));
            Console.Error.WriteLine($"see '{CommandPath(parse.CommandResult)} --help'");
            return ExitCodes.Usage;
        }

        // SIGINT/SIGTERM cancel the action's token (an explicit timeout: a new InvocationConfiguration has none, and
        // without it Ctrl-C kills the process instead of letting `events --follow` end with exit 0).
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(2) };
        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }

    private static string CommandPath(System.CommandLine.Parsing.CommandResult command)
    {
        var names = new List<string>();
        for (var result = command; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "clctl" : result.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}

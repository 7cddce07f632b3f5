using System.CommandLine;
using System.CommandLine.Invocation;

namespace CrossLogic.Cli.Invocation;

/// <summary>`clctl --help`: the usual help, then the exit codes (scripts need them, so they are part of the help).</summary>
internal sealed class ExitCodesHelpAction(SynchronousCommandLineAction help) : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var exitCode = help.Invoke(parseResult);
        if (parseResult.CommandResult.Command is RootCommand)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(ExitCodes.Help);
        }

        return exitCode;
    }
}

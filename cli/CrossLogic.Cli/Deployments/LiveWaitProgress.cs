using Spectre.Console;

namespace CrossLogic.Cli.Deployments;

/// <summary>A spinner with the state, events scrolling above it.</summary>
internal sealed class LiveWaitProgress(IAnsiConsole console, StatusContext status) : WaitProgress
{
    public override void Status(string text) => status.Status(Markup.Escape(text));

    public override void Event(string line) => console.Write(new Text(line + Environment.NewLine));
}

namespace CrossLogic.Cli.Deployments;

/// <summary>How a wait shows where it is: a live status line on a terminal, plain lines anywhere else.</summary>
internal abstract class WaitProgress
{
    /// <summary>The current state, e.g. `ready 1/2, pending 1`.</summary>
    public abstract void Status(string text);

    /// <summary>Something that happened, e.g. a deployment event.</summary>
    public abstract void Event(string line);
}

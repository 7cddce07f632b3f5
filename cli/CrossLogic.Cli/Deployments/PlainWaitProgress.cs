namespace CrossLogic.Cli.Deployments;

/// <summary>One line per change of state and per event, for logs and pipes.</summary>
internal sealed class PlainWaitProgress(TextWriter writer) : WaitProgress
{
    private string? _last;

    public override void Status(string text)
    {
        if (text != _last)
        {
            _last = text;
            writer.WriteLine(text);
            writer.Flush();
        }
    }

    public override void Event(string line)
    {
        writer.WriteLine(line);
        writer.Flush();
    }
}

using Spectre.Console;
using Spectre.Console.Rendering;

namespace CrossLogic.Cli.Output;

/// <summary>
/// stdout and stderr as Spectre consoles. When a stream is redirected it gets no colours, no live rendering and a
/// width no table reaches, so a pipe or a file sees every cell whole, never wrapped or cut.
/// </summary>
internal sealed class Terminal
{
    private const int RedirectedWidth = 4096;

    public Terminal()
    {
        OutIsInteractive = !Console.IsOutputRedirected;
        ErrorIsInteractive = !Console.IsErrorRedirected;
        Out = Create(Console.Out, OutIsInteractive);
        Error = Create(Console.Error, ErrorIsInteractive);
    }

    public IAnsiConsole Out { get; }

    public IAnsiConsole Error { get; }

    public bool OutIsInteractive { get; }

    public bool ErrorIsInteractive { get; }

    /// <summary>A table with these column headers, bordered on a terminal and plain (aligned columns) in a pipe.</summary>
    public Table NewTable(params string[] headers)
    {
        var table = new Table { Border = OutIsInteractive ? TableBorder.Rounded : TableBorder.None };
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(header) { NoWrap = !OutIsInteractive });
        }

        return table;
    }

    /// <summary>Adds a row of plain text cells (no markup is interpreted).</summary>
    public static void AddRow(Table table, params string[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());

    /// <summary>A two-column key/value grid for the details of one thing.</summary>
    public static Grid NewDetails()
    {
        var grid = new Grid();
        grid.AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(0, 0, 2, 0) });
        grid.AddColumn();
        return grid;
    }

    public static void AddDetail(Grid grid, string key, string value) => grid.AddRow(new Text(key + ":"), new Text(value));

    /// <summary>A plain line on stdout.</summary>
    public void Line(string text = "") => Out.Write(new Text(text + Environment.NewLine));

    private static IAnsiConsole Create(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        if (!interactive)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}

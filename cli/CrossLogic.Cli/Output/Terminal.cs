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

    /// <summary>
    /// A table with these column headers: bordered on a terminal; in a pipe, borderless with at least two spaces
    /// between columns (cells may hold single spaces), like kubectl's, for grep and awk.
    /// </summary>
    public Table NewTable(params string[] headers)
    {
        var table = new Table { Border = OutIsInteractive ? TableBorder.Rounded : TableBorder.None };
        foreach (var header in headers)
        {
            var column = new TableColumn(header);
            if (!OutIsInteractive)
            {
                column.NoWrap = true;
                column.Padding = new Padding(0, 0, 2, 0);
            }

            table.AddColumn(column);
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

    /// <summary>A table or grid on stdout; in a pipe without the padding Spectre puts after the last column.</summary>
    public void Write(IRenderable renderable)
    {
        if (OutIsInteractive)
        {
            Out.Write(renderable);
            return;
        }

        using var buffer = new StringWriter();
        Create(buffer, interactive: false).Write(renderable);
        foreach (var line in buffer.ToString().TrimEnd('\n').Split('\n'))
        {
            Console.Out.WriteLine(line.TrimEnd());
        }
    }

    /// <summary>A plain line on stdout.</summary>
    public void Line(string text = "")
    {
        if (OutIsInteractive)
        {
            Out.Write(new Text(text + Environment.NewLine));
        }
        else
        {
            Console.Out.WriteLine(text);
        }
    }

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

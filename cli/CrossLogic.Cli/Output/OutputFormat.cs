namespace CrossLogic.Cli.Output;

/// <summary>The values of `-o/--output`.</summary>
internal static class OutputFormat
{
    public const string Table = "table";
    public const string Json = "json";
}

using System.Text.Json.Nodes;
using Google.Protobuf;

namespace CrossLogic.Cli.Output;

/// <summary>`-o json`: protobuf messages in their canonical JSON mapping, one document per command.</summary>
internal static class JsonOutput
{
    private static readonly JsonFormatter Indented = new(JsonFormatter.Settings.Default.WithIndentation());
    private static readonly JsonFormatter Compact = new(JsonFormatter.Settings.Default);

    /// <summary>Prints the message as one indented JSON document.</summary>
    public static void Write(IMessage message) => Console.Out.WriteLine(Indented.Format(message));

    /// <summary>Prints the message on one line (a stream of documents, one per line).</summary>
    public static void WriteLine(IMessage message) => Console.Out.WriteLine(Compact.Format(message));

    /// <summary>Prints a document clctl composed from several answers.</summary>
    public static void Write(JsonNode node) => Console.Out.WriteLine(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The message as a JSON node, to compose a document from several answers.</summary>
    public static JsonNode ToNode(IMessage message) => JsonNode.Parse(Compact.Format(message))!;
}

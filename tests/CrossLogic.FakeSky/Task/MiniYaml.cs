using System.Globalization;
using System.Text;

namespace CrossLogic.FakeSky.Task;

/// <summary>A scalar as written: its text, and whether it was plain (so `8192` and `"8192"` can be told apart).</summary>
internal sealed record YamlScalar(string Text, bool Plain)
{
    public override string ToString() => Text;
}

/// <summary>A YAML syntax error with PyYAML's position line.</summary>
internal sealed class YamlSyntaxException(string message, int line) : Exception(message)
{
    public int Line { get; } = line;
}

/// <summary>
/// The block-style YAML subset task files use: nested mappings and sequences, plain/quoted scalars, `|`/`>` block
/// scalars, one-line flow collections, comments. Mappings come back as <see cref="OrderedDictionary{TKey,TValue}"/>,
/// sequences as <see cref="List{T}"/>, scalars as <see cref="YamlScalar"/>, null/~/empty as null.
/// </summary>
internal sealed class MiniYaml
{
    private readonly string[] _lines;
    private int _pos;

    private MiniYaml(string text)
    {
        _lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
    }

    public static object? Parse(string text)
    {
        var parser = new MiniYaml(text);
        parser.SkipDocumentStart();
        var root = parser.ParseBlockNode(0);
        parser.SkipBlank();
        if (parser._pos < parser._lines.Length)
        {
            throw new YamlSyntaxException("expected '<document start>', but found '<block mapping start>'", parser._pos + 1);
        }

        return root;
    }

    public static bool IsNullOrEmptyText(object? node) => node is null || (node is YamlScalar s && s.Text.Length == 0);

    public static bool? AsBool(object? node) => node is YamlScalar { Plain: true } s
        ? s.Text.ToUpperInvariant() switch
        {
            "TRUE" or "YES" or "ON" => true,
            "FALSE" or "NO" or "OFF" => false,
            _ => null,
        }
        : null;

    public static int? AsInt(object? node) =>
        node is YamlScalar { Plain: true } s && int.TryParse(s.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private void SkipDocumentStart()
    {
        SkipBlank();
        if (_pos < _lines.Length && _lines[_pos].TrimEnd() == "---")
        {
            _pos++;
        }
    }

    private void SkipBlank()
    {
        while (_pos < _lines.Length && StripComment(_lines[_pos]).Trim().Length == 0)
        {
            _pos++;
        }
    }

    private static int Indent(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] == ' ')
        {
            i++;
        }

        if (i < line.Length && line[i] == '\t')
        {
            throw new YamlSyntaxException("found character '\\t' that cannot start any token", 0);
        }

        return i;
    }

    private static bool IsSequenceEntry(string content) => content == "-" || content.StartsWith("- ", StringComparison.Ordinal);

    private object? ParseBlockNode(int minIndent)
    {
        SkipBlank();
        if (_pos >= _lines.Length)
        {
            return null;
        }

        var indent = Indent(_lines[_pos]);
        if (indent < minIndent)
        {
            return null;
        }

        var content = StripComment(_lines[_pos])[indent..].TrimEnd();
        if (IsSequenceEntry(content))
        {
            return ParseSequence(indent);
        }

        if (SplitKey(content) is null)
        {
            _pos++;
            return ParseInline(content);
        }

        return ParseMapping(indent);
    }

    private OrderedDictionary<string, object?> ParseMapping(int indent)
    {
        var map = new OrderedDictionary<string, object?>();
        while (true)
        {
            SkipBlank();
            if (_pos >= _lines.Length)
            {
                break;
            }

            var line = _lines[_pos];
            var lineIndent = Indent(line);
            if (lineIndent < indent)
            {
                break;
            }

            if (lineIndent > indent)
            {
                throw new YamlSyntaxException("mapping values are not allowed here", _pos + 1);
            }

            var content = StripComment(line)[indent..].TrimEnd();
            if (IsSequenceEntry(content))
            {
                break;
            }

            var (key, rest) = SplitKey(content) ?? throw new YamlSyntaxException("could not find expected ':'", _pos + 1);
            _pos++;
            map[key] = ParseValue(rest, indent);
        }

        return map;
    }

    private List<object?> ParseSequence(int indent)
    {
        var list = new List<object?>();
        while (true)
        {
            SkipBlank();
            if (_pos >= _lines.Length || Indent(_lines[_pos]) != indent)
            {
                break;
            }

            var content = StripComment(_lines[_pos])[indent..].TrimEnd();
            if (!IsSequenceEntry(content))
            {
                break;
            }

            var after = content[1..].TrimStart();
            if (after.Length == 0)
            {
                _pos++;
                list.Add(ParseValue("", indent));
            }
            else if (SplitKey(after) is not null && after[0] is not ('"' or '\'' or '[' or '{'))
            {
                // "- key: value" opens a mapping indented to where "key" starts.
                var childIndent = indent + (content.Length - after.Length);
                _lines[_pos] = new string(' ', childIndent) + _lines[_pos][childIndent..];
                list.Add(ParseMapping(childIndent));
            }
            else
            {
                _pos++;
                list.Add(ParseValue(after, indent));
            }
        }

        return list;
    }

    private object? ParseValue(string rest, int parentIndent)
    {
        if (rest.Length == 0)
        {
            SkipBlank();
            if (_pos >= _lines.Length)
            {
                return null;
            }

            var indent = Indent(_lines[_pos]);
            var content = StripComment(_lines[_pos])[indent..];
            if (indent > parentIndent)
            {
                return ParseBlockNode(indent);
            }

            return indent == parentIndent && IsSequenceEntry(content.TrimEnd()) ? ParseSequence(indent) : null;
        }

        if (rest[0] is '|' or '>')
        {
            return ParseBlockScalar(rest, parentIndent);
        }

        if (rest[0] is '[' or '{')
        {
            // A flow collection may continue on the next lines until its brackets balance.
            var text = new StringBuilder(rest);
            while (!FlowParser.Balanced(text.ToString()) && _pos < _lines.Length)
            {
                text.Append(' ').Append(StripComment(_lines[_pos++]).Trim());
            }

            return FlowParser.Parse(text.ToString(), _pos);
        }

        if (rest[0] is '&' or '*' or '!')
        {
            throw new YamlSyntaxException("anchors, aliases and tags are not supported by fake-sky", _pos);
        }

        return ParseInline(rest);
    }

    private object? ParseInline(string text) => FlowParser.Scalar(text.Trim(), _pos);

    private YamlScalar ParseBlockScalar(string header, int parentIndent)
    {
        var style = header[0];
        var chomp = 'c';
        var explicitIndent = 0;
        foreach (var ch in header[1..].Trim())
        {
            if (ch is '-' or '+')
            {
                chomp = ch;
            }
            else if (char.IsAsciiDigit(ch))
            {
                explicitIndent = ch - '0';
            }
            else
            {
                throw new YamlSyntaxException("expected chomping or indentation indicators, but found " + ch, _pos);
            }
        }

        var body = new List<string>();
        var contentIndent = explicitIndent > 0 ? parentIndent + explicitIndent : -1;
        while (_pos < _lines.Length)
        {
            var line = _lines[_pos];
            if (line.Trim().Length == 0)
            {
                body.Add("");
                _pos++;
                continue;
            }

            var indent = Indent(line);
            if (indent <= parentIndent || (contentIndent >= 0 && indent < contentIndent))
            {
                break;
            }

            if (contentIndent < 0)
            {
                contentIndent = indent;
            }

            body.Add(line[contentIndent..]);
            _pos++;
        }

        // Leading blank lines belong to the text; trailing ones are subject to chomping.
        var trailing = 0;
        while (trailing < body.Count && body[^(trailing + 1)].Length == 0)
        {
            trailing++;
        }

        var lines = body.GetRange(0, body.Count - trailing);
        var text = style == '|' ? string.Join('\n', lines) : Fold(lines);
        if (lines.Count == 0)
        {
            return new YamlScalar(chomp == '+' ? new string('\n', trailing) : "", Plain: false);
        }

        text += chomp switch
        {
            '-' => "",
            '+' => "\n" + new string('\n', trailing),
            _ => "\n",
        };
        return new YamlScalar(text, Plain: false);
    }

    private static string Fold(List<string> lines)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (i > 0)
            {
                var previous = lines[i - 1];
                var keepBreak = line.Length == 0 || previous.Length == 0 || line[0] == ' ' || previous[0] == ' ';
                text.Append(keepBreak ? '\n' : ' ');
            }

            text.Append(line);
        }

        return text.ToString();
    }

    /// <summary>"key: rest" → (key, rest); null when the line is not a mapping entry.</summary>
    private static (string Key, string Value)? SplitKey(string content)
    {
        if (content.Length == 0)
        {
            return null;
        }

        if (content[0] is '"' or '\'')
        {
            var end = FlowParser.QuotedEnd(content, 0);
            if (end < 0 || end + 1 >= content.Length || content[end + 1] != ':')
            {
                return null;
            }

            var key = ((YamlScalar)FlowParser.Scalar(content[..(end + 1)], 0)!).Text;
            return (key, content[(end + 2)..].Trim());
        }

        if (content[0] is '[' or '{')
        {
            return null;
        }

        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == ':' && (i + 1 == content.Length || content[i + 1] == ' '))
            {
                return (content[..i].Trim(), content[(i + 1)..].Trim());
            }
        }

        return null;
    }

    /// <summary>Drops a comment: '#' at the start or after whitespace, outside quotes.</summary>
    internal static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == '\\' && quote == '"')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            if ((c is '"' or '\'') && (i == 0 || line[i - 1] is ' ' or '[' or '{' or ',' or ':' or '-'))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] is ' ' or '\t'))
            {
                return line[..i];
            }
        }

        return line;
    }
}

using System.Globalization;
using System.Text;

namespace CrossLogic.FakeSky.Task;

/// <summary>Scalars and flow collections (`[8080, 8081]`, `{H100: 8}`) for <see cref="MiniYaml"/>.</summary>
internal static class FlowParser
{
    public static bool Balanced(string text)
    {
        var depth = 0;
        var quote = '\0';
        foreach (var c in text)
        {
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c is '[' or '{')
            {
                depth++;
            }
            else if (c is ']' or '}')
            {
                depth--;
            }
        }

        return depth <= 0;
    }

    public static object? Parse(string text, int line)
    {
        var i = 0;
        var value = ParseValue(text, ref i, line);
        SkipSpace(text, ref i);
        if (i < text.Length)
        {
            throw new YamlSyntaxException($"expected <block end>, but found '{text[i]}'", line);
        }

        return value;
    }

    /// <summary>A whole plain or quoted scalar; null for null/~/empty.</summary>
    public static object? Scalar(string text, int line)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (text[0] is '"' or '\'')
        {
            var end = QuotedEnd(text, 0);
            if (end < 0)
            {
                throw new YamlSyntaxException("found unexpected end of stream while scanning a quoted scalar", line);
            }

            if (text[(end + 1)..].Trim().Length > 0)
            {
                throw new YamlSyntaxException("expected <block end>, but found '<scalar>'", line);
            }

            return new YamlScalar(Unquote(text[..(end + 1)]), Plain: false);
        }

        return text is "~" or "null" or "Null" or "NULL" ? null : new YamlScalar(text, Plain: true);
    }

    /// <summary>Index of the closing quote of the quoted scalar starting at <paramref name="start"/>, or -1.</summary>
    public static int QuotedEnd(string text, int start)
    {
        var quote = text[start];
        for (var i = start + 1; i < text.Length; i++)
        {
            if (quote == '"' && text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == quote)
            {
                if (quote == '\'' && i + 1 < text.Length && text[i + 1] == '\'')
                {
                    i++;
                    continue;
                }

                return i;
            }
        }

        return -1;
    }

    private static string Unquote(string quoted)
    {
        var body = quoted[1..^1];
        if (quoted[0] == '\'')
        {
            return body.Replace("''", "'", StringComparison.Ordinal);
        }

        var text = new StringBuilder();
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\' || i + 1 == body.Length)
            {
                text.Append(body[i]);
                continue;
            }

            var e = body[++i];
            switch (e)
            {
                case 'n': text.Append('\n'); break;
                case 't': text.Append('\t'); break;
                case 'r': text.Append('\r'); break;
                case '0': text.Append('\0'); break;
                case 'u' when i + 4 < body.Length:
                    text.Append((char)int.Parse(body.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: text.Append(e); break;
            }
        }

        return text.ToString();
    }

    private static void SkipSpace(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
    }

    private static object? ParseValue(string text, ref int i, int line)
    {
        SkipSpace(text, ref i);
        if (i >= text.Length)
        {
            return null;
        }

        switch (text[i])
        {
            case '[':
                return ParseList(text, ref i, line);
            case '{':
                return ParseMap(text, ref i, line);
            case '"' or '\'':
                var end = QuotedEnd(text, i);
                if (end < 0)
                {
                    throw new YamlSyntaxException("found unexpected end of stream while scanning a quoted scalar", line);
                }

                var quoted = Unquote(text[i..(end + 1)]);
                i = end + 1;
                return new YamlScalar(quoted, Plain: false);
            default:
                var start = i;
                while (i < text.Length && text[i] is not (',' or ']' or '}') && !IsValueColon(text, i))
                {
                    i++;
                }

                return Scalar(text[start..i].Trim(), line);
        }
    }

    // In flow context "a: b" splits at ": ", but "H100:1" stays one scalar (PyYAML reads {H100:1} as a key with a null value).
    private static bool IsValueColon(string text, int i) =>
        text[i] == ':' && (i + 1 == text.Length || text[i + 1] is ' ' or ',' or '}' or ']');

    private static List<object?> ParseList(string text, ref int i, int line)
    {
        var list = new List<object?>();
        i++;
        while (true)
        {
            SkipSpace(text, ref i);
            if (i >= text.Length)
            {
                throw new YamlSyntaxException("while parsing a flow sequence, expected ',' or ']'", line);
            }

            if (text[i] == ']')
            {
                i++;
                return list;
            }

            list.Add(ParseValue(text, ref i, line));
            SkipSpace(text, ref i);
            if (i < text.Length && text[i] == ',')
            {
                i++;
            }
        }
    }

    private static OrderedDictionary<string, object?> ParseMap(string text, ref int i, int line)
    {
        var map = new OrderedDictionary<string, object?>();
        i++;
        while (true)
        {
            SkipSpace(text, ref i);
            if (i >= text.Length)
            {
                throw new YamlSyntaxException("while parsing a flow mapping, expected ',' or '}'", line);
            }

            if (text[i] == '}')
            {
                i++;
                return map;
            }

            var key = ParseValue(text, ref i, line)?.ToString() ?? "null";
            SkipSpace(text, ref i);
            object? value = null;
            if (i < text.Length && text[i] == ':')
            {
                i++;
                value = ParseValue(text, ref i, line);
                SkipSpace(text, ref i);
            }

            map[key] = value;
            if (i < text.Length && text[i] == ',')
            {
                i++;
            }
        }
    }
}

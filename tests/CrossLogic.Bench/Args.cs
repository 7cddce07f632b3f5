namespace CrossLogic.Bench;

/// <summary>`--key value` pairs.</summary>
internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        return new Args(values);
    }

    public string Get(string key, string? fallback = null) =>
        values.TryGetValue(key, out var value) ? value : fallback ?? throw new ArgumentException($"missing {key}");
}

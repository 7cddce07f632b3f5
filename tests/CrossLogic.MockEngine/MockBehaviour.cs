using System.Globalization;

namespace CrossLogic.MockEngine;

/// <summary>What the mock does beyond vLLM's command line: load time, speed and injected faults, read from MOCK_ENGINE_* variables.</summary>
internal sealed record MockBehaviour
{
    /// <summary>How long the port stays closed, like vLLM loading weights.</summary>
    public TimeSpan LoadDelay { get; init; }

    public double TokensPerSecond { get; init; } = 200;

    public TimeSpan FirstTokenDelay { get; init; }

    /// <summary>The process exits with code 1 when this many inference requests have been received; 0 is never.</summary>
    public long CrashAfterRequests { get; init; }

    /// <summary>Fraction of inference requests answered with a 500, spread evenly (0.25 fails every fourth).</summary>
    public double FailRate { get; init; }

    /// <summary>Inference requests never answer.</summary>
    public bool Hang { get; init; }

    /// <summary>After this long serving, /health answers 500 and inference fails; zero is never.</summary>
    public TimeSpan UnhealthyAfter { get; init; }

    public double KvCachePerRequest { get; init; } = 0.05;

    public static bool TryRead(Func<string, string?> environment, out MockBehaviour behaviour, out string error)
    {
        behaviour = null!;
        error = "";
        var reader = new Reader(environment);
        var parsed = new MockBehaviour
        {
            LoadDelay = reader.Milliseconds("MOCK_ENGINE_LOAD_DELAY_MS"),
            TokensPerSecond = reader.Number("MOCK_ENGINE_TOKENS_PER_SECOND", 200, min: double.Epsilon, max: double.MaxValue),
            FirstTokenDelay = reader.Milliseconds("MOCK_ENGINE_FIRST_TOKEN_DELAY_MS"),
            CrashAfterRequests = (long)reader.Number("MOCK_ENGINE_CRASH_AFTER_REQUESTS", 0, min: 0, max: int.MaxValue, integer: true),
            FailRate = reader.Number("MOCK_ENGINE_FAIL_RATE", 0, min: 0, max: 1),
            Hang = reader.Flag("MOCK_ENGINE_HANG"),
            UnhealthyAfter = reader.Milliseconds("MOCK_ENGINE_UNHEALTHY_AFTER_MS"),
            KvCachePerRequest = reader.Number("MOCK_ENGINE_KV_CACHE_PER_REQUEST", 0.05, min: 0, max: 1),
        };
        if (reader.Error is not null)
        {
            error = reader.Error;
            return false;
        }

        behaviour = parsed;
        return true;
    }

    /// <summary>Reads variables and remembers the first bad one, so that the caller validates in one place.</summary>
    private sealed class Reader(Func<string, string?> environment)
    {
        public string? Error { get; private set; }

        public TimeSpan Milliseconds(string name) =>
            TimeSpan.FromMilliseconds(Number(name, 0, min: 0, max: int.MaxValue, integer: true));

        public double Number(string name, double fallback, double min, double max, bool integer = false)
        {
            var text = environment(name);
            if (string.IsNullOrWhiteSpace(text))
            {
                return fallback;
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && double.IsFinite(value) && value >= min && value <= max && (!integer || value == Math.Floor(value)))
            {
                return value;
            }

            var expected = integer ? $"an integer in [{min}, {max}]" : max == double.MaxValue ? "a positive number" : $"a number in [{min}, {max}]";
            Error ??= $"{name}='{text}' is not valid: expected {expected}";
            return fallback;
        }

        public bool Flag(string name)
        {
            var text = environment(name);
            switch (text?.Trim().ToUpperInvariant())
            {
                case null or "" or "0" or "FALSE":
                    return false;
                case "1" or "TRUE":
                    return true;
                default:
                    Error ??= $"{name}='{text}' is not valid: expected 1 (on) or 0 (off)";
                    return false;
            }
        }
    }
}

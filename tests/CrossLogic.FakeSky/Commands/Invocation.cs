using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CrossLogic.FakeSky.Home;

namespace CrossLogic.FakeSky.Commands;

/// <summary>One run of the fake: where its state lives, the config it read, the clock, and what goes to calls.log.</summary>
internal sealed class Invocation(FakeSkyHome home, FakeConfig config, IReadOnlyList<string> argv, TimeProvider time)
{
    public FakeSkyHome Home { get; } = home;

    public FakeConfig Config { get; } = config;

    public IReadOnlyList<string> Argv { get; } = argv;

    public TimeProvider Time { get; } = time;

    public StateStore State { get; } = new(home);

    /// <summary>The task file's text, logged with a launch.</summary>
    public string? TaskYaml { get; set; }

    public long NowSeconds => Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>The command line as SkyPilot records it (last_use / COMMAND): "sky launch ...", secret values hidden.</summary>
    public string CommandLine
    {
        get
        {
            var words = new List<string> { "sky" };
            for (var i = 0; i < Argv.Count; i++)
            {
                var word = Argv[i];
                if (i > 0 && Argv[i - 1] == "--secret" && word.Contains('=', StringComparison.Ordinal))
                {
                    word = word[..word.IndexOf('=', StringComparison.Ordinal)] + "=<redacted>";
                }
                else if (word.StartsWith("--secret=", StringComparison.Ordinal) && word.IndexOf('=', 9) > 0)
                {
                    word = word[..word.IndexOf('=', 9)] + "=<redacted>";
                }

                words.Add(word.Contains(' ', StringComparison.Ordinal) ? $"'{word}'" : word);
            }

            return string.Join(' ', words);
        }
    }

    /// <summary>"sky-2025-05-16-08-45-14-060233": the request's log directory name.</summary>
    public string LogDirectory => "sky-" + Time.GetLocalNow().ToString("yyyy-MM-dd-HH-mm-ss-ffffff", CultureInfo.InvariantCulture);

    public static string UserName => Environment.UserName;

    /// <summary>SkyPilot's 8-hex user hash, stable per user.</summary>
    public static string UserHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(UserName)))[..8];

    public static void Sleep(int milliseconds)
    {
        if (milliseconds > 0)
        {
            Thread.Sleep(milliseconds);
        }
    }
}

using System.Text.Json;

namespace CrossLogic.FakeSky.Home;

/// <summary>Reads config.json on every invocation, so a test can change behaviour between two `sky` calls.</summary>
internal static class ConfigReader
{
    public static bool TryRead(FakeSkyHome home, out FakeConfig config, out string? error)
    {
        config = new FakeConfig();
        error = null;
        if (!File.Exists(home.ConfigPath))
        {
            return true;
        }

        try
        {
            var text = File.ReadAllText(home.ConfigPath);
            if (!string.IsNullOrWhiteSpace(text))
            {
                config = JsonSerializer.Deserialize(text, FakeSkyJson.Files.FakeConfig) ?? new FakeConfig();
            }
        }
        catch (JsonException e)
        {
            error = $"{home.ConfigPath}: {e.Message}";
            return false;
        }

        var bad = config.Rules.FirstOrDefault(r => !FaultKind.All.Contains(r.Error));
        if (bad is not null)
        {
            error = $"{home.ConfigPath}: rule error '{bad.Error}' is not one of {string.Join(", ", FaultKind.All)}";
            return false;
        }

        return true;
    }
}

using System.Text.Json;

namespace CrossLogic.Cli.Tests.Keys;

/// <summary>`clctl keys` and `clctl usage` against the gateway's admin API.</summary>
public sealed class KeyCommandsTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Keys_are_created_once_listed_without_secrets_and_revoked()
    {
        var created = await fixture.RunAsync("keys", "create", "--tenant", "acme", "--name", "prod", "--expires-in", "30d", "--models", "m1,m2", "--rpm", "600", "--tpm", "200000");
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = created.Stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("sk-cl-", StringComparison.Ordinal));
        Assert.Contains("cannot be shown again", created.Stdout, StringComparison.Ordinal);

        var createdJson = await fixture.RunAsync("keys", "create", "--tenant", "acme", "-o", "json");
        Assert.True(createdJson.ExitCode == 0, createdJson.ToString());
        using (var document = JsonDocument.Parse(createdJson.Stdout))
        {
            Assert.StartsWith("sk-cl-", document.RootElement.GetProperty("key").GetString(), StringComparison.Ordinal);
        }

        var list = await fixture.RunAsync("keys", "list", "--tenant", "acme", "-o", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain(key, list.Stdout, StringComparison.Ordinal);
        string keyId;
        using (var document = JsonDocument.Parse(list.Stdout))
        {
            var keys = document.RootElement.GetProperty("apiKeys").EnumerateArray().ToList();
            Assert.Equal(2, keys.Count);
            var prod = keys.Single(k => k.TryGetProperty("displayName", out var name) && name.GetString() == "prod");
            keyId = prod.GetProperty("keyId").GetString()!;
            Assert.Equal(["m1", "m2"], prod.GetProperty("allowedModels").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal(600, prod.GetProperty("requestsPerMinute").GetInt32());
            Assert.True(prod.TryGetProperty("expireTime", out _));
        }

        Assert.StartsWith("sk-cl-" + keyId, key, StringComparison.Ordinal);
        var table = await fixture.RunAsync("keys", "list", "--tenant", "acme");
        Assert.Contains(table.Stdout.Split('\n'), l => l.StartsWith(keyId + " ", StringComparison.Ordinal) && l.Contains("prod", StringComparison.Ordinal) && l.Contains("m1,m2", StringComparison.Ordinal));

        var revoked = await fixture.RunAsync("keys", "revoke", keyId, "--tenant", "acme");
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.StartsWith($"Revoked API key {keyId} of tenant acme", revoked.Stdout, StringComparison.Ordinal);
        var after = await fixture.RunAsync("keys", "list", "--tenant", "acme", "-o", "json");
        using (var document = JsonDocument.Parse(after.Stdout))
        {
            Assert.DoesNotContain(document.RootElement.GetProperty("apiKeys").EnumerateArray(), k => k.GetProperty("keyId").GetString() == keyId);
        }

        var otherTenant = await fixture.RunAsync("keys", "revoke", keyId, "--tenant", "someone-else");
        Assert.True(otherTenant.ExitCode == 4, otherTenant.ToString());
    }

    [Fact]
    public async Task Usage_prints_the_response_as_json_and_a_summary_as_text()
    {
        var json = await fixture.RunAsync("usage", "--tenant", "acme", "--since", "2h", "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        Assert.False(document.RootElement.TryGetProperty("rows", out var rows) && rows.GetArrayLength() > 0);

        var text = await fixture.RunAsync("usage", "--tenant", "acme");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Total: 0 request(s)", text.Stdout, StringComparison.Ordinal);
    }
}

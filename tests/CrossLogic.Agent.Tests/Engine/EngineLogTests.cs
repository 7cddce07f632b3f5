using CrossLogic.Agent.Engine;

namespace CrossLogic.Agent.Tests.Engine;

public sealed class EngineLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("engine-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_file_rotates_at_its_cap_and_the_ring_keeps_the_last_lines()
    {
        var path = Path.Combine(_dir, "engine.log");
        using (var log = new EngineLog(path, maxBytes: 4096, ringLines: 10))
        {
            for (var i = 0; i < 500; i++)
            {
                log.Append($"line {i:000} " + new string('x', 40));
            }

            Assert.Equal(["line 498", "line 499"], log.Tail(2).Select(l => l[..8]));
            Assert.Equal(10, log.Tail(100).Count);
        }

        Assert.True(new FileInfo(path).Length <= 4096 + 100);
        Assert.True(File.Exists(path + ".1"));
        Assert.EndsWith("line 499 " + new string('x', 40), File.ReadAllText(path).TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_api_key_never_reaches_the_tail_or_the_file()
    {
        var path = Path.Combine(_dir, "engine.log");
        using (var log = new EngineLog(path, maxBytes: 1 << 20))
        {
            log.Redact("sk-engine-secret");
            log.Append("non-default args: {'api_key': 'sk-engine-secret', 'port': 8000}");
            Assert.Equal("non-default args: {'api_key': '***', 'port': 8000}", Assert.Single(log.Tail(5)));
        }

        Assert.DoesNotContain("sk-engine-secret", File.ReadAllText(path), StringComparison.Ordinal);
    }
}

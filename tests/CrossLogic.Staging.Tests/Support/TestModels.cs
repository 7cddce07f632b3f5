using System.Text;

namespace CrossLogic.Staging.Tests.Support;

/// <summary>Small models shaped like real ones: safetensors-like shards of seeded random bytes, an index, config and tokenizer.</summary>
public static class TestModels
{
    public const int MiB = 1024 * 1024;

    public static Dictionary<string, byte[]> Sharded(int seed, params int[] shardSizes)
    {
        var random = new Random(seed);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var names = new List<string>();
        for (var i = 0; i < shardSizes.Length; i++)
        {
            var name = $"model-{i + 1:00000}-of-{shardSizes.Length:00000}.safetensors";
            var bytes = new byte[shardSizes[i]];
            random.NextBytes(bytes);
            files[name] = bytes;
            names.Add(name);
        }

        var weightMap = string.Join(",", names.Select((n, i) => $"\"layer.{i}.weight\":\"{n}\""));
        files["model.safetensors.index.json"] = Encoding.UTF8.GetBytes($"{{\"metadata\":{{\"total_size\":{shardSizes.Sum()}}},\"weight_map\":{{{weightMap}}}}}");
        files["config.json"] = Encoding.UTF8.GetBytes($"{{\"architectures\":[\"LlamaForCausalLM\"],\"seed\":{seed}}}");
        files["tokenizer/tokenizer.json"] = Encoding.UTF8.GetBytes($"{{\"version\":\"1.0\",\"seed\":{seed}}}");
        return files;
    }

    public static void AssertStaged(string directory, IReadOnlyDictionary<string, byte[]> files)
    {
        foreach (var (path, content) in files)
        {
            var local = Path.Combine(directory, path);
            Assert.True(File.Exists(local), $"{path} is missing from {directory}");
            Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(local)), $"{path} differs from the uploaded bytes");
        }

        Assert.Empty(Directory.EnumerateFiles(directory, "*.partial*", SearchOption.AllDirectories));
    }
}

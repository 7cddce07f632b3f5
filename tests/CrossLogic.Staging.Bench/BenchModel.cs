using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace CrossLogic.Staging.Bench;

/// <summary>The benchmark's model in s3rver: shards of random bytes, index, config, tokenizer and SHA256SUMS; uploaded once, reused by later runs.</summary>
internal static class BenchModel
{
    public const string Bucket = "bench";

    public static string Prefix(BenchArguments arguments) => string.Create(CultureInfo.InvariantCulture, $"models/random-{arguments.ModelBytes}-{arguments.Shards}/");

    /// <summary>Uploads the model unless s3rver's directory already holds it complete; returns its total bytes.</summary>
    public static async Task<long> EnsureAsync(IAmazonS3 s3, BenchArguments arguments, string scratch)
    {
        var prefix = Prefix(arguments);
        if (!(await s3.ListBucketsAsync()).Buckets?.Exists(b => b.BucketName == Bucket) ?? true)
        {
            await s3.PutBucketAsync(Bucket);
        }

        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix });
        var objects = listed.S3Objects ?? [];
        if (objects.Exists(o => o.Key == prefix + "SHA256SUMS"))
        {
            return objects.Sum(o => o.Size ?? 0);
        }

        Directory.CreateDirectory(scratch);
        var sums = new StringBuilder();
        var names = new List<string>();
        var shardBytes = arguments.ModelBytes / arguments.Shards;
        for (var i = 0; i < arguments.Shards; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"model-{i + 1:00000}-of-{arguments.Shards:00000}.safetensors");
            var path = Path.Combine(scratch, name);
            var sha256 = WriteRandomFile(path, shardBytes);
            sums.Append(CultureInfo.InvariantCulture, $"{sha256}  {name}\n");
            names.Add(name);
            Console.Error.WriteLine($"uploading {name} ({shardBytes} bytes)");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = prefix + name, FilePath = path, UseChunkEncoding = false });
            File.Delete(path);
        }

        var small = new Dictionary<string, string>
        {
            ["model.safetensors.index.json"] = $"{{\"metadata\":{{\"total_size\":{shardBytes * arguments.Shards}}},\"weight_map\":{{{string.Join(",", names.Select((n, i) => $"\"layer.{i}.weight\":\"{n}\""))}}}}}",
            ["config.json"] = "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":4096}",
            ["tokenizer.json"] = "{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\"}}",
            ["tokenizer_config.json"] = "{\"model_max_length\":8192}",
        };
        foreach (var (name, text) in small)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            sums.Append(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(SHA256.HashData(bytes))}  {name}\n");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = prefix + name, InputStream = new MemoryStream(bytes), UseChunkEncoding = false });
        }

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = prefix + "SHA256SUMS", ContentBody = sums.ToString(), UseChunkEncoding = false });
        var all = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix });
        return (all.S3Objects ?? []).Sum(o => o.Size ?? 0);
    }

    private static string WriteRandomFile(string path, long bytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1024 * 1024);
        var buffer = new byte[4 * 1024 * 1024];
        for (long written = 0; written < bytes; written += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, bytes - written);
            RandomNumberGenerator.Fill(buffer.AsSpan(0, count));
            hash.AppendData(buffer, 0, count);
            file.Write(buffer, 0, count);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

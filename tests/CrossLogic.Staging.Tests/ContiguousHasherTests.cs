using System.Security.Cryptography;
using CrossLogic.Agent.Staging;

namespace CrossLogic.Staging.Tests;

public sealed class ContiguousHasherTests
{
    [Fact]
    public async Task Ranges_written_out_of_order_and_overlapping_hash_like_the_whole_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            var content = new byte[(5 * 1024 * 1024) + 17];
            new Random(1).NextBytes(content);
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
            RandomAccess.SetLength(handle, content.Length);
            using var hasher = new ContiguousHasher(handle, content.Length, HashAlgorithmName.SHA256);
            var hashing = hasher.RunAsync(CancellationToken.None);

            var ranges = PartCursor.Split(content.Length, 1024 * 1024).Reverse().ToList();
            foreach (var part in ranges)
            {
                var length = (int)(part.End - part.Start);
                RandomAccess.Write(handle, content.AsSpan((int)part.Start, length), part.Start);
                hasher.Written(part.Start, length);
                Assert.False(hashing.IsCompleted && part.Start > 0, "hashed before the first range arrived");
            }

            // A retried range reports bytes that are already counted.
            hasher.Written(0, 4096);

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await hashing.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

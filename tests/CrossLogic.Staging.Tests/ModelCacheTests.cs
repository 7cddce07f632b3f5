using CrossLogic.Agent.Staging;
using CrossLogic.Staging.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static CrossLogic.Staging.Tests.Support.TestModels;

namespace CrossLogic.Staging.Tests;

[Collection(S3rverCollection.Name)]
public sealed class ModelCacheTests(S3rverFixture s3)
{
    [Fact]
    public async Task Least_recently_used_model_is_evicted_and_a_pinned_model_never_is()
    {
        var bucket = await s3.NewBucketAsync();
        var a = await s3.UploadModelAsync(bucket, "models/a/", Sharded(11, (3 * MiB) / 2));
        var b = await s3.UploadModelAsync(bucket, "models/b/", Sharded(12, (3 * MiB) / 2));
        var c = await s3.UploadModelAsync(bucket, "models/c/", Sharded(13, (3 * MiB) / 2));
        var options = s3.Options();
        options.CacheDirectory = s3.NewDirectory("cache");
        options.CacheBudgetBytes = (7 * MiB) / 2;
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var stager = new ModelStager(options);
        var cache = new ModelCache(stager, options, clock);

        var pinA = cache.Pin(a);
        var dirA = await cache.StageAsync(a);
        clock.Advance(TimeSpan.FromMinutes(1));
        var dirB = await cache.StageAsync(b);
        clock.Advance(TimeSpan.FromMinutes(1));
        // A is the least recently used, but pinned: B goes.
        var dirC = await cache.StageAsync(c);

        Assert.True(Directory.Exists(dirA));
        Assert.False(Directory.Exists(dirB));
        Assert.True(File.Exists(Path.Combine(dirC, "config.json")));
        Assert.Equal(dirA, pinA.Directory);

        clock.Advance(TimeSpan.FromMinutes(1));
        pinA.Dispose();
        clock.Advance(TimeSpan.FromMinutes(1));
        // Unpinned, A was used (its pin released) after C was staged: C is now the least recently used.
        await cache.StageAsync(b);

        Assert.True(Directory.Exists(dirA));
        Assert.True(Directory.Exists(dirB));
        Assert.False(Directory.Exists(dirC));
        Assert.Equal([dirA, dirB], cache.List().Select(m => m.Directory).Order(StringComparer.Ordinal).ToArray());
        Assert.Empty(Directory.EnumerateDirectories(options.CacheDirectory, ".evicting-*"));
    }

    [Fact]
    public async Task A_model_that_cannot_fit_next_to_pinned_models_fails_naming_the_budget()
    {
        var bucket = await s3.NewBucketAsync();
        var a = await s3.UploadModelAsync(bucket, "models/a/", Sharded(21, 2 * MiB));
        var b = await s3.UploadModelAsync(bucket, "models/b/", Sharded(22, 2 * MiB));
        var options = s3.Options();
        options.CacheDirectory = s3.NewDirectory("cache");
        options.CacheBudgetBytes = 3 * MiB;
        using var stager = new ModelStager(options);
        var cache = new ModelCache(stager, options);
        using var pin = cache.Pin(a);
        var dirA = await cache.StageAsync(a);

        var error = await Assert.ThrowsAsync<StagingException>(() => cache.StageAsync(b));

        Assert.Contains("Staging:CacheBudgetBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains(b.ToString(), error.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(dirA));
        Assert.True(cache.List().Single().InUse);
    }

    [Fact]
    public async Task A_pin_taken_through_one_cache_instance_holds_for_another()
    {
        var bucket = await s3.NewBucketAsync();
        var a = await s3.UploadModelAsync(bucket, "models/a/", Sharded(41, 2 * MiB));
        var b = await s3.UploadModelAsync(bucket, "models/b/", Sharded(42, 2 * MiB));
        var options = s3.Options();
        options.CacheDirectory = s3.NewDirectory("cache");
        options.CacheBudgetBytes = 3 * MiB;
        using var stager = new ModelStager(options);
        var first = new ModelCache(stager, options);
        using var pin = first.Pin(a);
        await first.StageAsync(a);

        var second = new ModelCache(stager, options);

        await Assert.ThrowsAsync<StagingException>(() => second.StageAsync(b));
        Assert.True(Directory.Exists(second.GetDirectory(a)));
    }

    [Fact]
    public async Task Staging_a_cached_model_again_returns_the_same_directory_without_downloading()
    {
        var files = Sharded(31, MiB + 1);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "org/model/", files);
        var options = s3.Options();
        options.CacheDirectory = s3.NewDirectory("cache");
        using var stager = new ModelStager(options);
        var cache = new ModelCache(stager, options);

        var first = await cache.StageAsync(location);
        var reports = new List<StagingProgress>();
        var second = await cache.StageAsync(location, new Progress(reports.Add));

        Assert.Equal(first, second);
        Assert.Equal(cache.GetDirectory(location), first);
        Assert.StartsWith("model-", Path.GetFileName(first), StringComparison.Ordinal);
        AssertStaged(first, files);
        Assert.Equal(0, reports.Last().BytesDownloaded);
    }

    private sealed class Progress(Action<StagingProgress> report) : IProgress<StagingProgress>
    {
        public void Report(StagingProgress value) => report(value);
    }
}

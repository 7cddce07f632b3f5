using System.Collections.Concurrent;
using System.Net;
using CrossLogic.Agent.Staging;
using CrossLogic.Staging.Tests.Support;
using static CrossLogic.Staging.Tests.Support.TestModels;

namespace CrossLogic.Staging.Tests;

[Collection(S3rverCollection.Name)]
public sealed class ModelStagerTests(S3rverFixture s3)
{
    [Fact]
    public async Task Model_with_shards_larger_than_a_part_is_staged_and_verified_against_SHA256SUMS()
    {
        var files = Sharded(1, (3 * MiB) + 12345, (2 * MiB) + 1, 700_000, 0);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/llama-tiny/", files);
        var target = s3.NewDirectory("staged");
        var reports = new ConcurrentQueue<StagingProgress>();

        using var stager = new ModelStager(s3.Options());
        var result = await stager.StageAsync(location, target, new SyncProgress(reports.Enqueue));

        AssertStaged(target, files);
        Assert.Equal(files.Count + 1, result.Files.Count);
        // Every file by its line in SHA256SUMS; SHA256SUMS itself by its single-part ETag.
        Assert.All(result.Files.Where(f => f.RelativePath != Sha256Sums.ObjectName), f => Assert.Equal(VerificationMethod.Sha256Manifest, f.Verification));
        Assert.Equal(VerificationMethod.EtagMd5, result.Files.Single(f => f.RelativePath == Sha256Sums.ObjectName).Verification);
        Assert.All(result.Files, f => Assert.Equal(StagedFileOrigin.Downloaded, f.Origin));
        Assert.True(result.FullyVerified);
        var shard = result.Files.Single(f => f.RelativePath == "model-00001-of-00004.safetensors");
        Assert.Equal(S3rverFixture.Sha256(files[shard.RelativePath]), shard.Digest);
        Assert.Equal(result.TotalBytes, result.BytesDownloaded);
        Assert.Equal(0, result.BytesReused);
        var last = reports.Last();
        Assert.Equal(result.TotalBytes, last.BytesDone);
        Assert.Equal(result.Files.Count, last.FilesDone);
        Assert.Empty(last.CurrentFiles);
    }

    [Fact]
    public async Task Without_a_manifest_files_are_verified_by_sha256_metadata_else_by_single_part_ETag()
    {
        var bucket = await s3.NewBucketAsync();
        var described = new byte[(2 * MiB) + 3];
        var plain = new byte[MiB + 5];
        new Random(2).NextBytes(described);
        new Random(3).NextBytes(plain);
        await s3.PutAsync(bucket, "m/described.bin", described, sha256Metadata: S3rverFixture.Sha256(described));
        await s3.PutAsync(bucket, "m/plain.bin", plain);
        var target = s3.NewDirectory("staged");

        using var stager = new ModelStager(s3.Options());
        var result = await stager.StageAsync(S3ModelLocation.Parse($"s3://{bucket}/m/"), target);

        AssertStaged(target, new Dictionary<string, byte[]> { ["described.bin"] = described, ["plain.bin"] = plain });
        Assert.Equal(VerificationMethod.Sha256Metadata, result.Files.Single(f => f.RelativePath == "described.bin").Verification);
        Assert.Equal(VerificationMethod.EtagMd5, result.Files.Single(f => f.RelativePath == "plain.bin").Verification);
    }

    [Fact]
    public async Task Corrupted_object_is_fetched_again_then_reported_with_its_path_and_both_hashes()
    {
        var files = Sharded(4, (2 * MiB) + 10, MiB / 2);
        var bad = "model-00001-of-00002.safetensors";
        var published = new string('a', 64);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/corrupt/", files, manifestOverrides: new Dictionary<string, string> { [bad] = published });
        var target = s3.NewDirectory("staged");
        var gets = new ConcurrentDictionary<string, int>();
        var options = s3.Options();
        var config = S3ClientFactory.CreateConfig(options);
        config.HttpClientFactory = new HttpInterceptor(async (request, send) =>
        {
            if (HttpInterceptor.IsRangedGet(request))
            {
                gets.AddOrUpdate(HttpInterceptor.Key(request), 1, (_, n) => n + 1);
            }

            return await send();
        });
        using var client = S3ClientFactory.Create(options, config);
        using var stager = new ModelStager(client, options);

        var error = await Assert.ThrowsAsync<ModelStagingException>(() => stager.StageAsync(location, target));

        var mismatch = Assert.IsType<ChecksumMismatchException>(Assert.Single(error.Failures));
        Assert.Equal(bad, mismatch.RelativePath);
        Assert.Equal(published, mismatch.Expected);
        Assert.Equal(S3rverFixture.Sha256(files[bad]), mismatch.Actual);
        Assert.Contains(bad, error.Message, StringComparison.Ordinal);
        Assert.Contains(published, error.Message, StringComparison.Ordinal);
        Assert.Contains(mismatch.Actual, error.Message, StringComparison.Ordinal);
        // Three 1 MiB parts, fetched twice; the good files are staged and the bad one never reaches its final name.
        Assert.Equal(6, gets["models/corrupt/" + bad]);
        Assert.False(File.Exists(Path.Combine(target, bad)));
        Assert.True(File.Exists(Path.Combine(target, "model-00002-of-00002.safetensors")));
    }

    [Fact]
    public async Task Download_cancelled_half_way_resumes_without_fetching_its_completed_parts_again()
    {
        var files = Sharded(5, 12 * MiB);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/resume/", files);
        var target = s3.NewDirectory("staged");
        var options = s3.Options();
        options.PartConcurrency = 2;
        using var cancel = new CancellationTokenSource();
        var gets = 0;
        var config = S3ClientFactory.CreateConfig(options);
        config.HttpClientFactory = new HttpInterceptor(async (request, send) =>
        {
            // With two GETs in flight, the shard's ninth starts once at least seven of its parts are complete.
            if (HttpInterceptor.IsRangedGet(request) && HttpInterceptor.Key(request).EndsWith(".safetensors", StringComparison.Ordinal) && Interlocked.Increment(ref gets) == 9)
            {
                await cancel.CancelAsync();
            }

            return await send();
        });
        using (var client = S3ClientFactory.Create(options, config))
        using (var interrupted = new ModelStager(client, options))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => interrupted.StageAsync(location, target, cancellationToken: cancel.Token));
        }

        var shard = "model-00001-of-00001.safetensors";
        Assert.False(File.Exists(Path.Combine(target, shard)));
        Assert.True(File.Exists(Path.Combine(target, ".crosslogic", shard + ".partial")));

        using var stager = new ModelStager(s3.Options());
        var result = await stager.StageAsync(location, target);

        AssertStaged(target, files);
        var resumed = result.Files.Single(f => f.RelativePath == shard);
        Assert.Equal(StagedFileOrigin.Resumed, resumed.Origin);
        Assert.InRange(resumed.BytesDownloaded, MiB, 6 * MiB);
        Assert.True(result.BytesDownloaded < result.TotalBytes, $"downloaded {result.BytesDownloaded} of {result.TotalBytes} again");
        Assert.Equal(result.TotalBytes, result.BytesDownloaded + result.BytesReused);
    }

    [Fact]
    public async Task Files_already_staged_are_not_downloaded_again_and_a_file_altered_on_disk_is()
    {
        var files = Sharded(6, (2 * MiB) + 100, MiB);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/again/", files);
        var target = s3.NewDirectory("staged");
        using var stager = new ModelStager(s3.Options());
        await stager.StageAsync(location, target);

        var again = await stager.StageAsync(location, target);

        Assert.Equal(0, again.BytesDownloaded);
        Assert.Equal(again.TotalBytes, again.BytesReused);
        Assert.All(again.Files, f => Assert.Equal(StagedFileOrigin.Reused, f.Origin));

        // Without its marker (a kill between rename and marker) a file is hashed, found right, and kept.
        File.Delete(Path.Combine(target, ".crosslogic", "config.json.verified"));
        // Altered on disk (same size, new bytes): fetched again.
        var altered = Path.Combine(target, "model-00002-of-00002.safetensors");
        var bytes = File.ReadAllBytes(altered);
        bytes[12345] ^= 0xFF;
        File.WriteAllBytes(altered, bytes);
        File.SetLastWriteTimeUtc(altered, DateTime.UnixEpoch);

        var third = await stager.StageAsync(location, target);

        AssertStaged(target, files);
        Assert.Equal(StagedFileOrigin.Reused, third.Files.Single(f => f.RelativePath == "config.json").Origin);
        Assert.Equal(StagedFileOrigin.Downloaded, third.Files.Single(f => f.RelativePath == "model-00002-of-00002.safetensors").Origin);
        Assert.Equal(MiB, third.BytesDownloaded);
    }

    [Fact]
    public async Task Object_replaced_during_the_download_restarts_that_file_and_never_mixes_versions()
    {
        var bucket = await s3.NewBucketAsync();
        var first = new byte[4 * MiB];
        var second = new byte[(3 * MiB) + 77];
        new Random(7).NextBytes(first);
        new Random(8).NextBytes(second);
        await s3.PutAsync(bucket, "m/weights.bin", first);
        var target = s3.NewDirectory("staged");
        var options = s3.Options();
        options.PartConcurrency = 1;
        var gets = 0;
        var preconditionFailures = 0;
        var config = S3ClientFactory.CreateConfig(options);
        config.HttpClientFactory = new HttpInterceptor(async (request, send) =>
        {
            if (HttpInterceptor.IsRangedGet(request) && Interlocked.Increment(ref gets) == 3)
            {
                // Republished between the second and third ranged GETs of the old version.
                await s3.PutAsync(bucket, "m/weights.bin", second);
            }

            var response = await send();
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                Interlocked.Increment(ref preconditionFailures);
            }

            return response;
        });
        using var client = S3ClientFactory.Create(options, config);
        using var stager = new ModelStager(client, options);

        var result = await stager.StageAsync(S3ModelLocation.Parse($"s3://{bucket}/m/"), target);

        Assert.Equal(1, preconditionFailures);
        Assert.Equal(second, File.ReadAllBytes(Path.Combine(target, "weights.bin")));
        var file = Assert.Single(result.Files);
        Assert.Equal(second.Length, file.Size);
        Assert.Equal(VerificationMethod.EtagMd5, file.Verification);
        Assert.Equal(second.Length, result.TotalBytes);
    }

    [Fact]
    public async Task Transient_errors_and_a_body_broken_half_way_are_retried()
    {
        var files = Sharded(9, 3 * MiB);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/flaky/", files);
        var target = s3.NewDirectory("staged");
        var options = s3.Options();
        var gets = 0;
        var config = S3ClientFactory.CreateConfig(options);
        config.HttpClientFactory = new HttpInterceptor(async (request, send) =>
        {
            var n = HttpInterceptor.IsRangedGet(request) ? Interlocked.Increment(ref gets) : 0;
            if (n is 1 or 2)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                {
                    Content = new StringContent("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"),
                };
            }

            var response = await send();
            return n == 3 ? await HttpInterceptor.BreakBodyAfter(response, 300_000) : response;
        });
        using var client = S3ClientFactory.Create(options, config);
        using var stager = new ModelStager(client, options);

        var result = await stager.StageAsync(location, target);

        AssertStaged(target, files);
        Assert.True(result.Retries >= 3, $"{result.Retries} retries");
    }

    [Fact]
    public async Task A_slow_but_steady_body_outlasts_the_read_timeout_and_a_stalled_one_is_retried()
    {
        var files = Sharded(14, MiB + 1000);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/slow/", files);
        var target = s3.NewDirectory("staged");
        var options = s3.Options();
        options.ReadTimeout = TimeSpan.FromSeconds(1);
        var gets = 0;
        var config = S3ClientFactory.CreateConfig(options);
        config.HttpClientFactory = new HttpInterceptor(async (request, send) =>
        {
            var n = HttpInterceptor.IsRangedGet(request) && HttpInterceptor.Key(request).EndsWith(".safetensors", StringComparison.Ordinal) ? Interlocked.Increment(ref gets) : 0;
            var response = await send();
            return n switch
            {
                // 1 MiB in 16 KiB steps 20 ms apart: 1.3 s in all, longer than the 1 s timeout, but never quiet for long.
                1 => await HttpInterceptor.Trickle(response, 16 * 1024, TimeSpan.FromMilliseconds(20)),
                // No byte for 30 s: a stall, given up on after 1 s and retried.
                2 => await HttpInterceptor.Trickle(response, 16 * 1024, TimeSpan.FromSeconds(30)),
                _ => response,
            };
        });
        using var client = S3ClientFactory.Create(options, config);
        using var stager = new ModelStager(client, options);

        var result = await stager.StageAsync(location, target);

        AssertStaged(target, files);
        Assert.Equal(1, result.Retries);
    }

    [Fact]
    public async Task Listing_follows_continuation_pages_and_a_manifest_line_for_itself_is_ignored()
    {
        var files = Enumerable.Range(0, 7).ToDictionary(i => $"part-{i}.json", i => new byte[100 + i]);
        // `sha256sum * > SHA256SUMS` hashes the manifest while writing it: a line no manifest can honour.
        var selfLine = new Dictionary<string, string> { [Sha256Sums.ObjectName] = new string('0', 64) };
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/paged/", files, manifestOverrides: selfLine);
        var target = s3.NewDirectory("staged");
        using var stager = new ModelStager(s3.Options()) { ListPageSize = 3 };

        var result = await stager.StageAsync(location, target);

        Assert.Equal(8, result.Files.Count);
        AssertStaged(target, files);
    }

    [Fact]
    public async Task Missing_model_and_incomplete_manifest_give_clear_errors()
    {
        var bucket = await s3.NewBucketAsync();
        using var stager = new ModelStager(s3.Options());

        var empty = await Assert.ThrowsAsync<StagingException>(() => stager.StageAsync(S3ModelLocation.Parse($"s3://{bucket}/models/none/"), s3.NewDirectory("x")));
        Assert.Contains($"no objects under s3://{bucket}/models/none/", empty.Message, StringComparison.Ordinal);

        var noBucket = await Assert.ThrowsAsync<StagingException>(() => stager.StageAsync(S3ModelLocation.Parse("s3://no-such-bucket/m/"), s3.NewDirectory("x")));
        Assert.Contains("NoSuchBucket", noBucket.Message, StringComparison.Ordinal);

        await s3.PutAsync(bucket, "models/half/SHA256SUMS", "0000000000000000000000000000000000000000000000000000000000000000  missing.safetensors\n"u8.ToArray());
        var incomplete = await Assert.ThrowsAsync<StagingException>(() => stager.StageAsync(S3ModelLocation.Parse($"s3://{bucket}/models/half/"), s3.NewDirectory("x")));
        Assert.Contains("lists 'missing.safetensors'", incomplete.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_never_appear_in_exceptions_or_options_text()
    {
        var files = Sharded(10, 1000);
        var location = await s3.UploadModelAsync(await s3.NewBucketAsync(), "models/secret/", files);
        var options = s3.Options();
        options.AccessKeyId = "AKIAWRONGKEY0000TEST";
        options.SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
        using var stager = new ModelStager(options);

        var error = await Assert.ThrowsAsync<StagingException>(() => stager.StageAsync(location, s3.NewDirectory("x")));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        foreach (var text in new[] { error.ToString(), options.ToString(), string.Join(" ", options.Validate()) })
        {
            Assert.DoesNotContain(options.AccessKeyId, text, StringComparison.Ordinal);
            Assert.DoesNotContain(options.SecretAccessKey, text, StringComparison.Ordinal);
        }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<StagingProgress> report) : IProgress<StagingProgress>
    {
        public void Report(StagingProgress value) => report(value);
    }
}

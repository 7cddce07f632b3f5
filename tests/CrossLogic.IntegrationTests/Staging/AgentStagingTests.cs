using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using CrossLogic.Contracts.V1;
using CrossLogic.IntegrationTests.Link;
using CrossLogic.Staging.Tests.Support;
using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests.Staging;

/// <summary>
/// The published agent against a real S3-compatible server (s3rver) on loopback: `crosslogic-agent stage` for
/// operators, and `Engine:ModelSource`, where the engine starts on the local copy only after every file is verified.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AgentStagingTests(PostgresFixture db) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crosslogic-agent-staging-").FullName;
    private S3rverProcess _s3 = null!;
    private AmazonS3Client _client = null!;

    public async Task InitializeAsync()
    {
        _s3 = await S3rverProcess.StartAsync(Path.Combine(_dir, "s3"), TimeSpan.FromSeconds(30));
        _client = new AmazonS3Client(new BasicAWSCredentials(S3rverProcess.AccessKey, S3rverProcess.SecretKey),
            new AmazonS3Config { ServiceURL = _s3.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await _client.PutBucketAsync("models");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _s3.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_stage_command_downloads_and_verifies_a_model_and_names_a_file_that_does_not_verify()
    {
        var model = TestModels.Sharded(7, 3 * TestModels.MiB, 2 * TestModels.MiB);
        await UploadAsync("good/", model, corrupt: null);
        var target = Path.Combine(_dir, "good");
        var (exit, output) = await StageAsync("s3://models/good/", target);
        Assert.True(exit == 0, output);
        Assert.Contains("staged s3://models/good/", output);
        TestModels.AssertStaged(target, model);

        await UploadAsync("bad/", model, corrupt: "model-00002-of-00002.safetensors");
        var (badExit, badOutput) = await StageAsync("s3://models/bad/", Path.Combine(_dir, "bad"));
        Assert.Equal(1, badExit);
        Assert.Contains("model-00002-of-00002.safetensors", badOutput);
        Assert.DoesNotContain(S3rverProcess.SecretKey + "x", badOutput);

        var (usage, usageOutput) = await StageAsync("http://not-s3/", Path.Combine(_dir, "x"));
        Assert.Equal(2, usage);
        Assert.Contains("s3://", usageOutput);
    }

    [Fact]
    public async Task An_engine_from_a_model_source_starts_on_the_staged_copy_after_staging_reported_progress()
    {
        var model = TestModels.Sharded(11, 4 * TestModels.MiB, TestModels.MiB);
        await UploadAsync("served/", model, corrupt: null);
        await using var controlPlane = await ControlPlaneProcess.StartAsync(db.ConnectionString);
        var nodeId = NodeLinkTests.NewNodeId();
        var mock = AgentProcess.MockEngine(Path.Combine(_dir, "engine.log"), model: "served-model");
        mock["ModelSource"] = "s3://models/served/";
        var created = await controlPlane.CreateServingNodeAsync(nodeId, "served-model", $"http://127.0.0.1:{mock["Port"]}");
        mock["ApiKey"] = created.EngineApiKey;
        var probePort = FreePort.Next();
        var config = AgentProcess.Config(nodeId, controlPlane.GrpcUrl, created.Token, probePort);
        config["Engine"] = mock;
        var cache = Path.Combine(_dir, "cache");
        config["Staging"] = new Dictionary<string, object>
        {
            ["Endpoint"] = _s3.Endpoint, ["Region"] = "us-east-1", ["CacheDirectory"] = cache, ["PartSizeBytes"] = TestModels.MiB,
            ["AccessKeyId"] = S3rverProcess.AccessKey, ["SecretAccessKey"] = S3rverProcess.SecretKey,
        };
        await using var agent = AgentProcess.StartWithConfig(config, nodeId, probePort);

        await Eventually.TrueAsync(async () => (await controlPlane.GetNodeAsync(nodeId)).State == Node.Types.State.Ready, TimeSpan.FromSeconds(60), "node ready", pollMs: 100);
        var events = (await controlPlane.EventsAsync(nodeId)).Reverse().ToList();
        var staged = events.FindIndex(e => e.Kind == "MODEL_STAGED");
        var started = events.FindIndex(e => e.Kind == "ENGINE_STARTED");
        Assert.True(staged >= 0 && started > staged, string.Join(", ", events.Select(e => e.Kind)));
        // Every file of the model (and the SHA256SUMS beside it) counted in the progress reported before the engine started.
        Assert.Contains(events.Take(staged), e => e.Kind == "STAGING_PROGRESS"
            && long.Parse(e.Detail["bytes_total"], System.Globalization.CultureInfo.InvariantCulture) >= model.Values.Sum(v => (long)v.Length));
        var path = events[staged].Detail["path"];
        Assert.StartsWith(cache, path);
        Assert.Contains("serve " + path, events[started].Detail["command"]);
        TestModels.AssertStaged(path, model);
        // The node shows STAGING only if a heartbeat (sent at once on the change) reaches the control plane while the
        // 5 MB download runs, which on a loaded machine it may not: that mapping is NodeStateDeriver's unit test.
    }

    /// <summary>Uploads without aws-chunked signing, which s3rver would store verbatim (chunk headers and all).</summary>
    private async Task UploadAsync(string prefix, IReadOnlyDictionary<string, byte[]> files, string? corrupt)
    {
        var sums = new StringBuilder();
        foreach (var (path, bytes) in files)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(path == corrupt ? [.. bytes, 1] : bytes));
            sums.Append(hash).Append("  ").Append(path).Append('\n');
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = prefix + path, InputStream = new MemoryStream(bytes), UseChunkEncoding = false });
        }

        await _client.PutObjectAsync(new PutObjectRequest { BucketName = "models", Key = prefix + "SHA256SUMS", ContentBody = sums.ToString(), UseChunkEncoding = false });
    }

    private async Task<(int Exit, string Output)> StageAsync(string source, string target)
    {
        var start = new ProcessStartInfo(RepoPaths.AgentBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "stage", source, "--to", target, "--endpoint", _s3.Endpoint, "--region", "us-east-1", "--part-size", "1MiB" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = S3rverProcess.AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = S3rverProcess.SecretKey;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}

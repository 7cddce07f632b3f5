// `dotnet crosslogic-staging-bench.dll [--gib 2] [--shards 4] [--rounds 2]`: stages a model from s3rver with
// ModelStager and copies it with `aws s3 cp --recursive`, alternating, and prints `key: value` lines.
using System.Diagnostics;
using System.Globalization;
using CrossLogic.Agent.Staging;
using CrossLogic.Staging.Bench;
using CrossLogic.Staging.Tests.Support;

var arguments = BenchArguments.Parse(args);
var awsCli = arguments.AwsCli ? AwsCli.Find() : null;

await using var server = await S3rverProcess.StartAsync(Path.Combine(arguments.Directory, "s3rver"), TimeSpan.FromSeconds(30));
var options = new StagingOptions
{
    Endpoint = server.Endpoint,
    Region = "us-east-1",
    AccessKeyId = S3rverProcess.AccessKey,
    SecretAccessKey = S3rverProcess.SecretKey,
};
options.PartConcurrency = arguments.PartConcurrency ?? options.PartConcurrency;
options.PartSizeBytes = arguments.PartMib is { } mib ? mib * 1024L * 1024 : options.PartSizeBytes;
options.FileConcurrency = arguments.FileConcurrency ?? options.FileConcurrency;
using var s3 = S3ClientFactory.Create(options);
var modelBytes = await BenchModel.EnsureAsync(s3, arguments, Path.Combine(arguments.Directory, "upload"));
var location = S3ModelLocation.Parse($"s3://{BenchModel.Bucket}/{BenchModel.Prefix(arguments)}");
var target = Path.Combine(arguments.Directory, "target");

Print("model_bytes", modelBytes);
Print("shards", arguments.Shards);
Print("staging_part_size_bytes", options.PartSizeBytes);
Print("staging_part_concurrency", options.PartConcurrency);
Print("staging_file_concurrency", options.FileConcurrency);

var staging = new List<double>();
var cli = new List<double>();
for (var round = 1; round <= arguments.Rounds; round++)
{
    Clear(target);
    using (var stager = new ModelStager(options))
    {
        var serverCpu = server.ProcessorTime;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var result = await stager.StageAsync(location, target);
        var rate = result.BytesDownloaded / watch.Elapsed.TotalSeconds / 1e6;
        staging.Add(rate);
        Print($"staging_run_{round}_mb_per_s", rate);
        Print($"staging_run_{round}_client_cpu_s", (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalSeconds);
        Print($"staging_run_{round}_server_cpu_s", (server.ProcessorTime - serverCpu).TotalSeconds);
        Print($"staging_run_{round}_verified", string.Join(",", result.Files.Select(f => f.Verification).Distinct()));
    }

    Clear(target);
    if (awsCli is not null)
    {
        var serverCpu = server.ProcessorTime;
        var (rate, clientCpu) = await awsCli.CopyAsync(server.Endpoint, location, target, modelBytes);
        cli.Add(rate);
        Print($"awscli_run_{round}_mb_per_s", rate);
        Print($"awscli_run_{round}_client_cpu_s", clientCpu.TotalSeconds);
        Print($"awscli_run_{round}_server_cpu_s", (server.ProcessorTime - serverCpu).TotalSeconds);
    }
}

Clear(target);
Print("staging_mb_per_s", staging.Max());
if (!arguments.AwsCli)
{
    return 0;
}

if (awsCli is null)
{
    Console.Error.WriteLine("The aws CLI is not on PATH, so there is nothing to compare with: apt-get install awscli");
    Print("awscli_mb_per_s", "missing (apt-get install awscli)");
    return 2;
}

Print("awscli_mb_per_s", cli.Max());
Print("staging_ratio_vs_awscli", staging.Max() / cli.Max());
return 0;

static void Clear(string directory)
{
    if (Directory.Exists(directory))
    {
        Directory.Delete(directory, recursive: true);
    }
}

static void Print(string key, object value) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}: {(value is double d ? d.ToString("0.00", CultureInfo.InvariantCulture) : value)}"));

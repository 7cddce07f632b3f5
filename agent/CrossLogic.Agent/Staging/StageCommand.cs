using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace CrossLogic.Agent.Staging;

/// <summary>
/// `crosslogic-agent stage s3://bucket/prefix --to DIR`: the agent's own staging, for operators (pre-warming a disk,
/// checking a bucket). Options come from flags, then the `Staging` section of `--config`, then `AWS_*` variables; a
/// progress line on stderr; one line per file that failed. Exit 0 staged and verified, 1 a file failed, 2 bad input.
/// </summary>
internal static class StageCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("source") { Description = "The model's prefix: s3://bucket/models/name/" };
        var target = new Option<string>("--to") { Description = "The local directory to stage into (created if missing).", Required = true };
        var config = new Option<string?>("--config", "-c") { Description = "An agent config file whose Staging section (endpoint, region, keys, part size) applies." };
        var endpoint = new Option<string?>("--endpoint") { Description = "S3 endpoint (R2: https://<account>.r2.cloudflarestorage.com); default AWS S3." };
        var region = new Option<string?>("--region") { Description = "Signing region: auto for R2 (the default), us-east-1… for AWS." };
        var partSize = new Option<string?>("--part-size") { Description = "Bytes per ranged GET, e.g. 64MiB." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Ranged GETs in flight." };
        var command = new Command("stage", "Download a model's files from S3/R2 into a directory, verified (sha256 manifest, object metadata or single-part ETag), resuming an interrupted run.")
        {
            source, target, config, endpoint, region, partSize, concurrency,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetRequiredValue(source), parse.GetRequiredValue(target), parse.GetValue(config), parse.GetValue(endpoint), parse.GetValue(region),
            parse.GetValue(partSize), parse.GetValue(concurrency), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string source, string target, string? configPath, string? endpoint, string? region, string? partSize, int? concurrency, CancellationToken cancellationToken)
    {
        if (!S3ModelLocation.TryParse(source, out var location, out var locationError))
        {
            await Console.Error.WriteLineAsync($"crosslogic-agent stage: {locationError}").ConfigureAwait(false);
            return 2;
        }

        var options = new StagingOptions();
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
            {
                await Console.Error.WriteLineAsync($"crosslogic-agent stage: --config: file '{configPath}' does not exist").ConfigureAwait(false);
                return 2;
            }

            var section = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configPath), optional: false).Build().GetSection(StagingOptions.SectionName);
            options = StagingOptionsReader.Read(section);
        }

        options.Endpoint = endpoint ?? options.Endpoint;
        options.Region = region ?? options.Region;
        options.PartConcurrency = concurrency ?? options.PartConcurrency;
        if (partSize is not null)
        {
            if (ByteSize.TryParse(partSize) is not { } bytes)
            {
                await Console.Error.WriteLineAsync($"crosslogic-agent stage: --part-size: '{partSize}' is not a size such as 64MiB").ConfigureAwait(false);
                return 2;
            }

            options.PartSizeBytes = bytes;
        }

        if (options.Validate() is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync($"crosslogic-agent stage: {problem}").ConfigureAwait(false);
            }

            return 2;
        }

        var progress = new ProgressLine(Console.Error, Console.IsErrorRedirected);
        try
        {
            using var stager = new ModelStager(options);
            var result = await stager.StageAsync(location, target, progress, cancellationToken).ConfigureAwait(false);
            progress.Finish();
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"staged {location} into {result.Directory}: {result.Files.Count} files, {result.TotalBytes / 1e6:0.0} MB ({result.BytesDownloaded / 1e6:0.0} MB downloaded, {result.BytesReused / 1e6:0.0} MB already there) in {result.Duration.TotalSeconds:0.0} s")).ConfigureAwait(false);
            foreach (var file in result.SizeOnlyFiles)
            {
                await Console.Out.WriteLineAsync($"  {file}: checked by size only (no sha256 published for it)").ConfigureAwait(false);
            }

            return 0;
        }
        catch (StagingException ex)
        {
            progress.Finish();
            await Console.Error.WriteLineAsync($"crosslogic-agent stage: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>One progress line: rewritten in place on a terminal, a line every few seconds otherwise.</summary>
    private sealed class ProgressLine(TextWriter writer, bool redirected) : IProgress<StagingProgress>
    {
        private readonly Lock _lock = new();
        private DateTimeOffset _lastLine = DateTimeOffset.MinValue;
        private bool _written;

        public void Report(StagingProgress value)
        {
            var eta = value.EstimatedRemaining is { } left ? $", ETA {left.TotalSeconds:0} s" : "";
            var text = string.Create(CultureInfo.InvariantCulture,
                $"{value.Fraction * 100,5:0.0}%  {value.BytesDone / 1e6:0}/{value.BytesTotal / 1e6:0} MB  {value.MegabytesPerSecond:0.0} MB/s{eta}  files {value.FilesDone}/{value.FilesTotal}");
            lock (_lock)
            {
                if (redirected)
                {
                    if (DateTimeOffset.UtcNow - _lastLine >= TimeSpan.FromSeconds(2) || value.FilesDone == value.FilesTotal)
                    {
                        _lastLine = DateTimeOffset.UtcNow;
                        writer.WriteLine(text);
                    }
                }
                else
                {
                    writer.Write("\r" + text.PadRight(80));
                    _written = true;
                }
            }
        }

        public void Finish()
        {
            lock (_lock)
            {
                if (_written)
                {
                    writer.WriteLine();
                    _written = false;
                }
            }
        }
    }
}

using System.Globalization;
using CrossLogic.Agent.Engine;
using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Staging;

/// <summary>
/// Before the engine starts on a model from R2/S3 (`Engine:ModelSource`): stage it into the local cache, verified,
/// reporting STAGING with progress on the stream, and keep it pinned (never evicted) while the engine may use it. A
/// failure is reported and retried with back-off; the engine never starts on an incomplete or unverified model.
/// </summary>
internal sealed partial class EngineModelStaging(
    EngineOptions engine,
    StagingOptions options,
    EngineMonitor monitor,
    OutboundEventQueue events,
    TimeProvider timeProvider,
    ILogger<EngineModelStaging> logger) : IDisposable
{
    private static readonly TimeSpan ProgressEventInterval = TimeSpan.FromSeconds(2);
    private ModelStager? _stager;
    private ModelPin? _pin;

    /// <summary>Stages until the model is complete, then sets <see cref="EngineOptions.LocalModelPath"/>.</summary>
    public async Task StageAsync(CancellationToken cancellationToken)
    {
        var location = S3ModelLocation.Parse(engine.ModelSource!);
        if (string.IsNullOrEmpty(options.CacheDirectory))
        {
            options.CacheDirectory = "/var/lib/crosslogic/models";
        }

        _stager ??= new ModelStager(options, timeProvider);
        var cache = new ModelCache(_stager, options, timeProvider);
        // Pinned before staging, so nothing evicts it between the download and the engine's start.
        _pin ??= cache.Pin(location);
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(engine.RestartMinDelayMs), TimeSpan.FromMilliseconds(engine.RestartMaxDelayMs), Random.Shared);
        while (true)
        {
            monitor.Set(EngineStatus.Types.State.Staging, $"staging {location}");
            var started = timeProvider.GetTimestamp();
            try
            {
                var path = await cache.StageAsync(location, new ProgressEvents(location, monitor, events, timeProvider), cancellationToken).ConfigureAwait(false);
                engine.LocalModelPath = path;
                var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
                events.TryEnqueue(NodeEvent.Types.Kind.ModelStaged, $"{location} staged into {path}", new Dictionary<string, string>
                {
                    ["source"] = location.ToString(),
                    ["path"] = path,
                    ["seconds"] = seconds.ToString("0.0", CultureInfo.InvariantCulture),
                });
                StagingLog.Staged(logger, location.ToString(), path, seconds);
                return;
            }
            catch (StagingException ex)
            {
                var delay = backoff.Next();
                StagingLog.Failed(logger, location.ToString(), ex.Message, delay.TotalSeconds);
                events.TryEnqueue(NodeEvent.Types.Kind.StagingFailed, ex.Message, new Dictionary<string, string>
                {
                    ["source"] = location.ToString(),
                    ["reason"] = ex.Message.Length > 2000 ? ex.Message[..2000] : ex.Message,
                });
                monitor.Set(EngineStatus.Types.State.Staging, $"staging failed, retrying in {delay.TotalSeconds:0} s: {ex.Message}");
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        _pin?.Dispose();
        _stager?.Dispose();
    }

    /// <summary>Progress into the engine's status (every report) and onto the stream (every few seconds, and the last).</summary>
    private sealed class ProgressEvents(S3ModelLocation location, EngineMonitor monitor, OutboundEventQueue events, TimeProvider timeProvider) : IProgress<StagingProgress>
    {
        private readonly Lock _lock = new();
        private DateTimeOffset _lastEvent = DateTimeOffset.MinValue;

        public void Report(StagingProgress value)
        {
            var eta = value.EstimatedRemaining is { } left ? left.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) : "";
            var reason = string.Create(CultureInfo.InvariantCulture,
                $"staging {location}: {value.Fraction * 100:0}% ({value.BytesDone / 1e6:0}/{value.BytesTotal / 1e6:0} MB, {value.MegabytesPerSecond:0} MB/s)");
            monitor.Set(EngineStatus.Types.State.Staging, reason);
            lock (_lock)
            {
                var now = timeProvider.GetUtcNow();
                if (now - _lastEvent < ProgressEventInterval && value.FilesDone < value.FilesTotal)
                {
                    return;
                }

                _lastEvent = now;
            }

            events.TryEnqueue(NodeEvent.Types.Kind.StagingProgress, reason, new Dictionary<string, string>
            {
                ["source"] = location.ToString(),
                ["bytes_done"] = value.BytesDone.ToString(CultureInfo.InvariantCulture),
                ["bytes_total"] = value.BytesTotal.ToString(CultureInfo.InvariantCulture),
                ["mb_per_s"] = value.MegabytesPerSecond.ToString("0.0", CultureInfo.InvariantCulture),
                ["eta_seconds"] = eta,
                ["files_done"] = value.FilesDone.ToString(CultureInfo.InvariantCulture),
                ["files_total"] = value.FilesTotal.ToString(CultureInfo.InvariantCulture),
            });
        }
    }

    private static partial class StagingLog
    {
        [LoggerMessage(1600, LogLevel.Information, "Model {Source} staged into {Path} in {Seconds:0.0} s")]
        public static partial void Staged(ILogger logger, string source, string path, double seconds);

        [LoggerMessage(1601, LogLevel.Warning, "Staging {Source} failed: {Reason}; retrying in {Delay:0} s")]
        public static partial void Failed(ILogger logger, string source, string reason, double delay);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using CrossLogic.Agent.Gpu;
using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Engine;

/// <summary>
/// Owns the inference engine: starts `vllm serve`, waits for it to load, scrapes its load every second, restarts it
/// with backoff when it exits or stops answering /health, gives up on a crash loop until told, drains it on request,
/// and never leaves it behind when the agent stops.
/// </summary>
internal sealed class EngineSupervisor : BackgroundService
{
    private static readonly TimeSpan LoadingPoll = TimeSpan.FromMilliseconds(250);
    private const int EventLogLines = 20;
    private readonly EngineOptions _options;
    private readonly EngineMonitor _monitor;
    private readonly OutboundEventQueue _events;
    private readonly GpuMonitor _gpus;
    private readonly TimeProvider _time;
    private readonly ILogger<EngineSupervisor> _logger;
    private readonly EngineLauncher _launcher = new();
    private readonly Channel<DrainCommand> _drains = Channel.CreateUnbounded<DrainCommand>();
    private volatile bool _restartRequested;
    private Process? _current;

    private readonly Staging.EngineModelStaging _staging;

    public EngineSupervisor(EngineOptions options, EngineMonitor monitor, OutboundEventQueue events, GpuMonitor gpus, Staging.EngineModelStaging staging, TimeProvider time, ILogger<EngineSupervisor> logger)
    {
        _staging = staging;
        _options = options;
        _monitor = monitor;
        _events = events;
        _gpus = gpus;
        _time = time;
        _logger = logger;
        Log = new EngineLog(options.LogFile, options.LogMaxBytes);
    }

    /// <summary>The engine's output.</summary>
    public EngineLog Log { get; }

    /// <summary>Stops advertising ready, waits for running requests (or the deadline), then stops the engine.</summary>
    public Task<DrainResult> DrainAsync(TimeSpan? deadline, CancellationToken cancellationToken)
    {
        var command = new DrainCommand(deadline ?? TimeSpan.FromSeconds(_options.DrainDeadlineSeconds));
        _drains.Writer.TryWrite(command);
        return command.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Starts the engine again: after a crash loop or a drain, or restarts a running one.</summary>
    public void RequestRestart() => _restartRequested = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            _monitor.Set(EngineStatus.Types.State.NotConfigured);
            await IdleAsync(null, stoppingToken).ConfigureAwait(false);
            return;
        }

        if (!EngineLauncher.GuardsAvailable)
        {
            EngineLogMessages.NoGuards(_logger);
        }

        if (_options.ModelSource is { Length: > 0 })
        {
            // The engine starts on the local copy only once every file is there and verified.
            try
            {
                await _staging.StageAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }

        var apiKey = ReadApiKey();
        Log.Redact(apiKey);
        using var http = new EngineHttpClient(_options.Port, apiKey);
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(_options.RestartMinDelayMs), TimeSpan.FromMilliseconds(_options.RestartMaxDelayMs), Random.Shared);
        var crashLoop = new CrashLoopDetector(_options.CrashLoopExits, TimeSpan.FromSeconds(_options.CrashLoopWindowSeconds));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var outcome = await RunOnceAsync(http, apiKey, backoff, stoppingToken).ConfigureAwait(false);
                switch (outcome.Kind)
                {
                    case OutcomeKind.Stopping:
                        return;
                    case OutcomeKind.RestartRequested:
                        continue;
                    case OutcomeKind.Drained:
                        _monitor.Set(EngineStatus.Types.State.Draining, "drained; waiting for RestartEngine");
                        await IdleAsync(null, stoppingToken).ConfigureAwait(false);
                        continue;
                }

                _monitor.Exited(outcome.ExitCode);
                var tail = string.Join('\n', Log.Tail(EventLogLines));
                _events.TryEnqueue(NodeEvent.Types.Kind.EngineExited, outcome.Reason, new Dictionary<string, string>
                {
                    ["exit_code"] = outcome.ExitCode.ToString(CultureInfo.InvariantCulture),
                    ["log_tail"] = Truncate(tail),
                });

                if (crashLoop.RecordExit(_time.GetUtcNow()))
                {
                    EngineLogMessages.CrashLoop(_logger, _options.CrashLoopExits, _options.CrashLoopWindowSeconds);
                    var reason = $"crash loop: {_options.CrashLoopExits} exits within {_options.CrashLoopWindowSeconds} s; last: {outcome.Reason}";
                    _monitor.Set(EngineStatus.Types.State.Failed, reason);
                    _events.TryEnqueue(NodeEvent.Types.Kind.EngineCrashLoop, reason, new Dictionary<string, string>
                    {
                        ["exit_code"] = outcome.ExitCode.ToString(CultureInfo.InvariantCulture),
                        ["log_tail"] = Truncate(tail),
                    });
                    await IdleAsync(null, stoppingToken).ConfigureAwait(false);
                    crashLoop.Reset();
                    backoff.Reset();
                    continue;
                }

                var delay = backoff.Next();
                EngineLogMessages.Exited(_logger, outcome.ExitCode, delay.TotalMilliseconds);
                _monitor.Set(EngineStatus.Types.State.Restarting, outcome.Reason);
                await IdleAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled && Volatile.Read(ref _current) is { HasExited: false })
        {
            var drainDeadline = TimeSpan.FromSeconds(_options.ShutdownDrainSeconds);
            try
            {
                await DrainAsync(drainDeadline, cancellationToken)
                    .WaitAsync(drainDeadline + TimeSpan.FromSeconds(_options.StopGraceSeconds + 5), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // Fall through: the process group is killed below.
            }
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { HasExited: false } left)
        {
            ProcessGroup.Signal(left.Id, ProcessGroup.SigKill);
        }

        _launcher.Dispose();
        Log.Dispose();
    }

    private async Task<Outcome> RunOnceAsync(EngineHttpClient http, string? apiKey, ReconnectBackoff backoff, CancellationToken stoppingToken)
    {
        _restartRequested = false;
        var args = VllmCommandLine.Build(_options, _gpus.DeviceCount, apiKey);
        var commandLine = VllmCommandLine.Describe(_options.Executable, args);
        EngineLogMessages.Starting(_logger, commandLine);
        _monitor.Set(EngineStatus.Types.State.Loading, "loading " + _options.Model);
        Process process;
        try
        {
            process = await _launcher.StartAsync(_options.Executable, args, _options.Environment).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            EngineLogMessages.StartFailed(_logger, ex.Message);
            Log.Append($"crosslogic-agent: cannot start {_options.Executable}: {ex.Message}");
            return new Outcome(OutcomeKind.Exited, 127, $"cannot start {_options.Executable}: {ex.Message}");
        }

        using var owned = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Log.Append(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Log.Append(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Volatile.Write(ref _current, process);
        _monitor.Running(process.Id);
        _events.TryEnqueue(NodeEvent.Types.Kind.EngineStarted, "engine started", new Dictionary<string, string> { ["command"] = Truncate(commandLine) });

        try
        {
            return await SuperviseAsync(process, http, backoff, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _current, null);
            _monitor.Running(0);
        }
    }

    private async Task<Outcome> SuperviseAsync(Process process, EngineHttpClient http, ReconnectBackoff backoff, CancellationToken stoppingToken)
    {
        var started = _time.GetTimestamp();
        var exited = process.WaitForExitAsync(CancellationToken.None);
        var ready = false;
        var unhealthy = 0;
        while (true)
        {
            try
            {
                await Task.WhenAny(exited, Task.Delay(ready ? TimeSpan.FromMilliseconds(_options.ScrapeIntervalMs) : LoadingPoll, _time, stoppingToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            if (stoppingToken.IsCancellationRequested)
            {
                await StopProcessAsync(process).ConfigureAwait(false);
                return new Outcome(OutcomeKind.Stopping, 0, "agent stopping");
            }

            if (exited.IsCompleted)
            {
                await WaitForOutputAsync(process).ConfigureAwait(false);
                return new Outcome(OutcomeKind.Exited, process.ExitCode, $"engine exited with code {process.ExitCode}");
            }

            if (_drains.Reader.TryRead(out var drain))
            {
                drain.Completion.TrySetResult(await DrainProcessAsync(process, http, drain.Deadline).ConfigureAwait(false));
                return new Outcome(OutcomeKind.Drained, 0, "drained");
            }

            if (_restartRequested)
            {
                await StopProcessAsync(process).ConfigureAwait(false);
                return new Outcome(OutcomeKind.RestartRequested, 0, "restart requested");
            }

            if (!ready)
            {
                if (await http.IsHealthyAsync(stoppingToken).ConfigureAwait(false) &&
                    await http.ServesModelAsync(_options.EffectiveServedModelName, stoppingToken).ConfigureAwait(false))
                {
                    ready = true;
                    var loadSeconds = _time.GetElapsedTime(started).TotalSeconds;
                    _monitor.Set(EngineStatus.Types.State.Ready);
                    backoff.Reset();
                    EngineLogMessages.Ready(_logger, loadSeconds, _options.EffectiveServedModelName);
                    _events.TryEnqueue(NodeEvent.Types.Kind.EngineReady, "engine ready", new Dictionary<string, string>
                    {
                        ["load_seconds"] = loadSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                        ["model"] = _options.EffectiveServedModelName,
                    });
                }

                continue;
            }

            if (await http.ScrapeAsync(stoppingToken).ConfigureAwait(false) is { } load)
            {
                _monitor.Loaded(load);
            }

            if (await http.IsHealthyAsync(stoppingToken).ConfigureAwait(false))
            {
                unhealthy = 0;
            }
            else if (++unhealthy >= _options.UnhealthyChecksBeforeRestart && !exited.IsCompleted)
            {
                // vLLM's engine can die inside a live API process: /health fails while the port is open.
                EngineLogMessages.Unhealthy(_logger, unhealthy);
                ProcessGroup.Signal(process.Id, ProcessGroup.SigKill);
                await exited.ConfigureAwait(false);
                return new Outcome(OutcomeKind.Exited, process.ExitCode, $"engine failed {unhealthy} health checks and was killed");
            }
        }
    }

    private async Task<DrainResult> DrainProcessAsync(Process process, EngineHttpClient http, TimeSpan deadline)
    {
        _monitor.Set(EngineStatus.Types.State.Draining, "draining");
        var started = _time.GetTimestamp();
        while (_time.GetElapsedTime(started) < deadline && !process.HasExited)
        {
            if (await http.ScrapeAsync(CancellationToken.None).ConfigureAwait(false) is { } load)
            {
                _monitor.Loaded(load);
                if (load.Running == 0 && load.Waiting == 0)
                {
                    break;
                }
            }

            await Task.Delay(LoadingPoll, _time).ConfigureAwait(false);
        }

        var cut = process.HasExited ? 0 : _monitor.Load.Running + _monitor.Load.Waiting;
        await StopProcessAsync(process).ConfigureAwait(false);
        var took = _time.GetElapsedTime(started);
        EngineLogMessages.Drained(_logger, took.TotalSeconds, cut);
        _events.TryEnqueue(NodeEvent.Types.Kind.EngineDrained, cut == 0 ? "drained: no request cut" : $"drain deadline passed: {cut} requests cut", new Dictionary<string, string>
        {
            ["requests_cut"] = cut.ToString(CultureInfo.InvariantCulture),
            ["seconds"] = took.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),
        });
        return new DrainResult(cut, took);
    }

    /// <summary>SIGTERM to the engine's process group, SIGKILL after the grace period.</summary>
    private async Task StopProcessAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        if (!ProcessGroup.Signal(process.Id, ProcessGroup.SigTerm))
        {
            process.Kill(entireProcessTree: true);
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(_options.StopGraceSeconds));
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            EngineLogMessages.Killed(_logger, _options.StopGraceSeconds);
            ProcessGroup.Signal(process.Id, ProcessGroup.SigKill);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await WaitForOutputAsync(process).ConfigureAwait(false);
    }

    /// <summary>Waits (or idles forever when <paramref name="delay"/> is null) until a restart is requested; answers drains at once.</summary>
    private async Task IdleAsync(TimeSpan? delay, CancellationToken stoppingToken)
    {
        var started = _time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested && (delay is null || _time.GetElapsedTime(started) < delay))
        {
            while (_drains.Reader.TryRead(out var drain))
            {
                drain.Completion.TrySetResult(new DrainResult(0, TimeSpan.Zero));
            }

            if (_restartRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(LoadingPoll, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task WaitForOutputAsync(Process process)
    {
        // The last lines (often the reason for a crash) arrive after the exit; give the readers a moment.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string? ReadApiKey()
    {
        if (!string.IsNullOrWhiteSpace(_options.ApiKeyFile))
        {
            return File.ReadAllText(_options.ApiKeyFile).Trim();
        }

        return string.IsNullOrWhiteSpace(_options.ApiKey) ? null : _options.ApiKey.Trim();
    }

    private static string Truncate(string text) => text.Length <= 4000 ? text : text[^4000..];

    private enum OutcomeKind
    {
        Exited,
        Drained,
        RestartRequested,
        Stopping,
    }

    private sealed record Outcome(OutcomeKind Kind, int ExitCode, string Reason);

    private sealed record DrainCommand(TimeSpan Deadline)
    {
        public TaskCompletionSource<DrainResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>How a drain ended.</summary>
internal sealed record DrainResult(int RequestsCut, TimeSpan Took);

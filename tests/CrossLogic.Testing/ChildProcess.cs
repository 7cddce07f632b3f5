using System.Collections.Concurrent;
using System.Diagnostics;

namespace CrossLogic.Testing;

/// <summary>A real child process with its output kept for assertions and for failure messages.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int MaxLines = 5000;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>When the process was started (wall clock), for start-to-X measurements.</summary>
    public DateTimeOffset StartedAt { get; private init; }

    public string Output => string.Join('\n', _lines);

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process) { StartedAt = DateTimeOffset.UtcNow };
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public bool OutputContains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        Eventually.TrueAsync(() => OutputContains(text) || HasExited && OutputContains(text), timeout, $"output containing '{text}'. Output so far:\n{Output}");

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Signal(int signal) => Signals.Send(_process.Id, signal);

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>SIGTERM, then SIGKILL when it does not stop in time.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            Signal(Signals.SigCont);
            Signal(Signals.SigTerm);
        }
        catch (InvalidOperationException)
        {
            return;
        }

        if (!await WaitForExitAsync(grace))
        {
            Kill();
            await WaitForExitAsync(TimeSpan.FromSeconds(5));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        while (_lines.Count > MaxLines && _lines.TryDequeue(out _))
        {
        }
    }
}

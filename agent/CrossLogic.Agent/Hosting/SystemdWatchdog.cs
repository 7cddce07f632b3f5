using System.Globalization;
using Microsoft.Extensions.Hosting;

namespace CrossLogic.Agent.Hosting;

/// <summary>
/// Pings systemd's watchdog (`WATCHDOG=1`) at a third of `WatchdogSec` while the agent works: each ping first takes a
/// snapshot of the engine and GPU state through the same locks the link and probe API use, within a deadline. A
/// deadlocked state lock, a starved thread pool or a hung process stops the pings, and systemd restarts the agent
/// (the unit's `WatchdogSec` and `Restart=always`). Off unless systemd set `WATCHDOG_USEC` for this process.
/// </summary>
internal sealed class SystemdWatchdog(SystemdNotifier notifier, NodeStatusReader status, TimeProvider timeProvider) : BackgroundService
{
    private static readonly TimeSpan SnapshotDeadline = TimeSpan.FromSeconds(2);

    /// <summary>The ping interval systemd asks for, or null when the watchdog is off for this process.</summary>
    public static TimeSpan? Interval(string? watchdogUsec, string? watchdogPid, int processId)
    {
        if (!long.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return null;
        }

        // WATCHDOG_PID names the process systemd watches; a child that inherited the variables must not ping.
        if (watchdogPid is { Length: > 0 } && watchdogPid != processId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromTicks(usec * 10 / 3);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.Enabled
            || Interval(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId) is not { } interval)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, timeProvider);
        do
        {
            if (await SnapshotWithinDeadlineAsync(stoppingToken).ConfigureAwait(false))
            {
                notifier.Notify("WATCHDOG=1");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<bool> SnapshotWithinDeadlineAsync(CancellationToken stoppingToken)
    {
        var snapshot = Task.Run(() => (status.Engine(), status.GpuSamples().Count), stoppingToken);
        var finished = await Task.WhenAny(snapshot, Task.Delay(SnapshotDeadline, timeProvider, stoppingToken)).ConfigureAwait(false);
        return finished == snapshot && snapshot.IsCompletedSuccessfully;
    }
}

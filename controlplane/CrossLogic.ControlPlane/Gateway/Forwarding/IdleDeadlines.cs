using System.Collections.Concurrent;

namespace CrossLogic.ControlPlane.Gateway.Forwarding;

/// <summary>
/// Cancels engine exchanges that stay quiet longer than the idle timeout. One sweep checks all of them a few times per
/// timeout, so no request has a timer of its own.
/// </summary>
/// <remarks>
/// A timer per request (<see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>) cost more than it looks. Every
/// request set, moved and removed one in the runtime's timer queue. In the gateway benchmark, the timer thread and the
/// thread-pool work it caused used about a third of the gateway's CPU. A deadline a sweep reads costs a dictionary entry.
/// A request is cancelled between one and 1¼ timeouts after it went quiet.
/// </remarks>
internal sealed class IdleDeadlines : IDisposable
{
    private readonly ConcurrentDictionary<Watch, byte> _watched = new();
    private readonly TimeProvider _time;
    private readonly long _timeoutTicks;
    private readonly ITimer _sweep;

    public IdleDeadlines(TimeSpan timeout, TimeProvider time)
    {
        _time = time;
        _timeoutTicks = (long)(timeout.TotalSeconds * time.TimestampFrequency);
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _sweep = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Starts watching an exchange; its token is cancelled when it goes quiet too long or <paramref name="linked"/> is.</summary>
    public Watch Start(CancellationToken linked)
    {
        var watch = new Watch(this, CancellationTokenSource.CreateLinkedTokenSource(linked));
        _watched.TryAdd(watch, 0);
        return watch;
    }

    public void Dispose() => _sweep.Dispose();

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var (watch, _) in _watched)
        {
            if (now - Volatile.Read(ref watch.LastActivity) > _timeoutTicks)
            {
                watch.TimeOut();
            }
        }
    }

    /// <summary>One watched exchange. Dispose it when the exchange is over.</summary>
    public sealed class Watch : IDisposable
    {
        private readonly IdleDeadlines _owner;
        private readonly CancellationTokenSource _cancel;
        internal long LastActivity;

        internal Watch(IdleDeadlines owner, CancellationTokenSource cancel)
        {
            _owner = owner;
            _cancel = cancel;
            LastActivity = owner._time.GetTimestamp();
        }

        public CancellationToken Token => _cancel.Token;

        /// <summary>Something arrived: the idle timeout counts from now.</summary>
        public void Touch() => Volatile.Write(ref LastActivity, _owner._time.GetTimestamp());

        public void Dispose()
        {
            _owner._watched.TryRemove(this, out _);
            _cancel.Dispose();
        }

        internal void TimeOut()
        {
            // The sweep may meet a watch its exchange is disposing; a disposed source has nothing left to cancel.
            if (_owner._watched.TryRemove(this, out _))
            {
                try
                {
                    _cancel.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }
}

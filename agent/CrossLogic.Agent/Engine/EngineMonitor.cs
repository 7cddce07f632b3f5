using CrossLogic.Contracts.V1;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.Agent.Engine;

/// <summary>The engine's current state and load, read by heartbeats and the probe API.</summary>
internal sealed class EngineMonitor(TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private EngineStatus.Types.State _state = EngineStatus.Types.State.NotConfigured;
    private DateTimeOffset _since = timeProvider.GetUtcNow();
    private EngineLoad _load = EngineLoad.Idle;
    private int _restarts;
    private int _lastExitCode;
    private string _reason = "";
    private int _pid;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next change of state, so the link reports it at once instead of at the next beat.</summary>
    public Task WhenStateChanges() { lock (_lock) { return _changed.Task; } }

    public EngineStatus.Types.State State { get { lock (_lock) { return _state; } } }

    public EngineLoad Load { get { lock (_lock) { return _load; } } }

    public void Set(EngineStatus.Types.State state, string reason = "")
    {
        TaskCompletionSource? changed = null;
        lock (_lock)
        {
            if (_state != state)
            {
                _since = timeProvider.GetUtcNow();
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _state = state;
            _reason = reason;
            if (state is not EngineStatus.Types.State.Ready and not EngineStatus.Types.State.Draining)
            {
                _load = EngineLoad.Idle;
            }
        }

        changed?.TrySetResult();
    }

    public void Exited(int exitCode)
    {
        lock (_lock)
        {
            _restarts++;
            _lastExitCode = exitCode;
        }
    }

    public void Running(int pid)
    {
        lock (_lock)
        {
            _pid = pid;
        }
    }

    public void Loaded(EngineLoad load)
    {
        lock (_lock)
        {
            _load = load;
        }
    }

    public EngineStatus Snapshot()
    {
        lock (_lock)
        {
            return new EngineStatus
            {
                State = _state,
                RunningRequests = _load.Running,
                WaitingRequests = _load.Waiting,
                KvCacheUsage = _load.KvCacheUsage,
                StateSinceTime = Timestamp.FromDateTimeOffset(_since),
                Restarts = _restarts,
                LastExitCode = _lastExitCode,
                Reason = _reason,
                Pid = _pid,
            };
        }
    }
}

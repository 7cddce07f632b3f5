namespace CrossLogic.Agent.Staging;

/// <summary>
/// The process-wide ranged-GET slots (<see cref="StagingOptions.PartConcurrency"/>), shared fairly: a free slot goes to
/// the waiting file with the fewest GETs in flight, so four files at once get two of eight slots each (a lone file
/// all eight) instead of the first file taking every slot. Files then really progress together, and so do their
/// hash pumps: one SHA-256 stream tops out near 1.4 GB/s, below what a GPU box's network can bring.
/// </summary>
internal sealed class PartScheduler(int slots)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<object, int> _inFlight = [];
    private readonly List<Waiter> _waiters = [];
    private int _free = slots;

    /// <summary>Waits for a slot for the file; dispose the result to give it back.</summary>
    public async ValueTask<IDisposable> AcquireAsync(object file, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_free > 0 && _waiters.Count == 0)
            {
                _free--;
                _inFlight[file] = _inFlight.GetValueOrDefault(file) + 1;
                return new Slot(this, file);
            }

            waiter = new Waiter(file);
            _waiters.Add(waiter);
        }

        using (cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Completion.TrySetCanceled(token), waiter))
        {
            try
            {
                await waiter.Completion.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    // Granted and cancelled in the same instant: the slot was ours, so hand it on.
                    if (waiter.Granted)
                    {
                        ReleaseLocked(file);
                    }
                    else
                    {
                        _waiters.Remove(waiter);
                    }
                }

                throw;
            }
        }

        return new Slot(this, file);
    }

    private void Release(object file)
    {
        lock (_gate)
        {
            ReleaseLocked(file);
        }
    }

    private void ReleaseLocked(object file)
    {
        if (--_inFlight[file] == 0)
        {
            _inFlight.Remove(file);
        }

        _free++;
        while (_free > 0 && _waiters.Count > 0)
        {
            // The waiter whose file has the fewest GETs in flight; the earliest among equals.
            var next = _waiters.MinBy(w => _inFlight.GetValueOrDefault(w.File))!;
            _waiters.Remove(next);
            if (next.Completion.Task.IsCompleted)
            {
                continue;
            }

            _free--;
            _inFlight[next.File] = _inFlight.GetValueOrDefault(next.File) + 1;
            next.Granted = true;
            next.Completion.TrySetResult();
        }
    }

    private sealed class Waiter(object file)
    {
        public object File { get; } = file;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set under the scheduler's lock when a slot is counted for this waiter.</summary>
        public bool Granted { get; set; }
    }

    private sealed class Slot(PartScheduler scheduler, object file) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                scheduler.Release(file);
            }
        }
    }
}

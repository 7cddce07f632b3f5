namespace CrossLogic.ControlPlane.Fleet.Reconcile;

/// <summary>Wakes the reconciler at once after a change on this replica (a new deployment, a finished launch)
/// instead of at its next interval.</summary>
internal sealed class ReconcileSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Poke()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already poked.
        }
    }

    /// <summary>Waits for a poke or the timeout.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}

namespace CrossLogic.Agent.Link;

/// <summary>The probe API's address once Kestrel has bound it; the link waits for it before saying Hello.</summary>
internal sealed class ProbeEndpoint
{
    private readonly TaskCompletionSource<string> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Bound(string endpoint) => _bound.TrySetResult(endpoint);

    public Task<string> WhenBoundAsync(CancellationToken cancellationToken) => _bound.Task.WaitAsync(cancellationToken);
}

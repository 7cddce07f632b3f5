namespace CrossLogic.ControlPlane.Store;

/// <summary>
/// Reports an outage of the database once when it starts and once when it ends, however many attempts fail in between:
/// the background loops that retry every second would otherwise log every attempt.
/// </summary>
internal sealed class OutageReport(Action<Exception> lost, Action regained)
{
    private bool _out;

    public void Failed(Exception exception)
    {
        if (!_out)
        {
            _out = true;
            lost(exception);
        }
    }

    public void Succeeded()
    {
        if (_out)
        {
            _out = false;
            regained();
        }
    }
}

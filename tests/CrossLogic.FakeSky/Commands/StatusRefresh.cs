using CrossLogic.FakeSky.Home;

namespace CrossLogic.FakeSky.Commands;

/// <summary>
/// What a refresh (`sky status -r`, or the implicit one of `sky launch` on its cluster) learns from the cloud:
/// a preempted cluster becomes STOPPED, a terminated one disappears. A boot process that merely died changes nothing.
/// </summary>
internal static class StatusRefresh
{
    public const string Stopped = "stopped";
    public const string Vanished = "vanished";

    public static void Apply(FakeState state, ClusterRecord record, long now)
    {
        switch (record.CloudChange)
        {
            case Vanished:
                state.Clusters.Remove(record);
                break;
            case Stopped:
                record.Status = ClusterStatus.Stopped;
                record.CloudChange = null;
                record.StatusUpdatedAt = now;
                record.LastEvent = "Cluster was preempted.";
                break;
        }
    }
}

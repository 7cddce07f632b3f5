namespace CrossLogic.FakeSky.Boot;

/// <summary>Stops a boot process and everything in its process group (it was started as the group leader).</summary>
internal static class ProcessGroup
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>SIGTERM to the group, up to 5 s for the leader to exit, then SIGKILL to whatever is left.</summary>
    public static void Terminate(int? leader, long? startTime) => Stop(leader, startTime, graceful: true);

    /// <summary>SIGKILL to the group at once: a preempted VM does not shut down politely.</summary>
    public static void Kill(int? leader, long? startTime) => Stop(leader, startTime, graceful: false);

    private static void Stop(int? leader, long? startTime, bool graceful)
    {
        if (leader is not { } pid || pid <= 1)
        {
            return;
        }

        var current = Posix.StartTime(pid);
        if (current is not null && current != startTime)
        {
            // The pid now belongs to another process; our group is long gone.
            return;
        }

        // The leader is ours, or gone; in the latter case Linux does not hand its pid to anyone while the group
        // it led still has members, so -pid can only reach our own leftovers.
        if (graceful && current is not null)
        {
            Posix.Signal(-pid, Posix.SigTerm);
            var deadline = DateTime.UtcNow + Grace;
            while (DateTime.UtcNow < deadline && Posix.IsSameProcess(pid, startTime))
            {
                Thread.Sleep(25);
            }
        }

        Posix.Signal(-pid, Posix.SigKill);
    }
}

using System.Runtime.InteropServices;

namespace CrossLogic.Testing;

/// <summary>POSIX signals for fault tests (SIGTERM, SIGSTOP, SIGCONT); SIGKILL is Process.Kill.</summary>
public static partial class Signals
{
    public const int SigTerm = 15;
    public const int SigStop = 19;
    public const int SigCont = 18;
    public const int SigKill = 9;

    /// <summary>Like <see cref="Send"/>, for cleanup: false when the process (or group, for a negative pid) is gone.</summary>
    public static bool TrySend(int pid, int signal) => Kill(pid, signal) == 0;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

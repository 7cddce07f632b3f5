using System.Runtime.InteropServices;

namespace CrossLogic.Agent.Engine;

/// <summary>Signals to a whole process group: vLLM's workers live in the engine's group.</summary>
internal static partial class ProcessGroup
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends a signal to the group led by <paramref name="leaderPid"/>; false if it no longer exists.</summary>
    public static bool Signal(int leaderPid, int signal) => Kill(-leaderPid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

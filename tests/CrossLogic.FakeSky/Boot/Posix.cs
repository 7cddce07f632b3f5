using System.Globalization;
using System.Runtime.InteropServices;

namespace CrossLogic.FakeSky.Boot;

/// <summary>kill(2) and /proc lookups: enough to signal a process group without ever hitting a reused pid.</summary>
internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>kill(pid, sig); a negative pid signals the whole process group.</summary>
    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks), or null when there is no such live process.</summary>
    public static long? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X")
        {
            return null;
        }

        return long.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    /// <summary>True while <paramref name="pid"/> is still the process that started at <paramref name="startTime"/>.</summary>
    public static bool IsSameProcess(int pid, long? startTime) => startTime is not null && StartTime(pid) == startTime;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

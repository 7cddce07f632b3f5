using System.Diagnostics;
using CrossLogic.Agent.Staging;
using CrossLogic.Staging.Tests.Support;

namespace CrossLogic.Staging.Bench;

/// <summary>`aws s3 cp --recursive` with its defaults (no user config), the baseline to beat.</summary>
internal sealed class AwsCli(string executable)
{
    public static AwsCli? Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "aws");
            if (File.Exists(candidate))
            {
                return new AwsCli(candidate);
            }
        }

        return null;
    }

    // An exited process's CPU time is gone from /proc/<pid>; the kernel adds it to the parent's cutime/cstime when reaped.
    private static TimeSpan ReapedChildrenProcessorTime()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[13], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[14], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Copies the model into the directory; returns MB/s (10^6 bytes) and the CLI's CPU time.</summary>
    public async Task<(double MegabytesPerSecond, TimeSpan ProcessorTime)> CopyAsync(string endpoint, S3ModelLocation location, string target, long modelBytes)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "s3", "cp", "--recursive", "--only-show-errors", location.ToString(), target, "--endpoint-url", endpoint })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = S3rverProcess.AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = S3rverProcess.SecretKey;
        start.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        // Its defaults, not whatever ~/.aws/config tunes.
        start.Environment["AWS_CONFIG_FILE"] = "/nonexistent/aws-config";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/aws-credentials";

        var childCpu = ReapedChildrenProcessorTime();
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"aws s3 cp exited with {process.ExitCode}: {await errors}{await output}");
        }

        var copied = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        return copied == modelBytes
            ? (modelBytes / seconds / 1e6, ReapedChildrenProcessorTime() - childCpu)
            : throw new InvalidOperationException($"aws s3 cp copied {copied} bytes of {modelBytes}.");
    }
}

using System.Diagnostics;

namespace CrossLogic.Staging.Tests.Support;

/// <summary>A real s3rver (tests/s3rver/start.js) on a free loopback port, storing under a directory of the caller's.</summary>
public sealed class S3rverProcess : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly Process _process;

    private S3rverProcess(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    /// <summary>CPU time the server has used so far (the bench reports the cost per byte served).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static string RepoRoot { get; } = FindRoot();

    /// <summary>
    /// Starts the server; node runs with the OpenSSL legacy provider because s3rver's ListObjectsV2 continuation
    /// tokens use DES, which Node 17+ refuses otherwise (a 500 on the second page).
    /// </summary>
    public static async Task<S3rverProcess> StartAsync(string dataDirectory, TimeSpan timeout)
    {
        var home = Path.Combine(RepoRoot, "tests", "s3rver");
        if (!File.Exists(Path.Combine(home, "node_modules", "s3rver", "package.json")))
        {
            throw new InvalidOperationException($"s3rver is not installed. Run, in {RepoRoot}: npm ci --prefix tests/s3rver");
        }

        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = home,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--openssl-legacy-provider", "start.js", "--directory", dataDirectory, "--port", "0", "--address", "127.0.0.1" })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("node (v18 or later) is required on PATH to run s3rver: apt-get install nodejs", exception);
        }

        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.StartsWith("S3RVER_READY ", StringComparison.Ordinal))
                {
                    // Keep draining stdout so that the server never blocks on a full pipe.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    return new S3rverProcess(process, line["S3RVER_READY ".Length..].Trim());
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        lock (errors)
        {
            throw new InvalidOperationException($"s3rver did not report ready within {timeout.TotalSeconds:0} s. stderr: {errors}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        // start.js exits when its stdin closes; kill it if it does not.
        _process.StandardInput.Close();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CrossLogic.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("CrossLogic.sln not found above " + AppContext.BaseDirectory);
    }
}

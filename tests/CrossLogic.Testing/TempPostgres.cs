using System.Diagnostics;
using Npgsql;

namespace CrossLogic.Testing;

/// <summary>
/// A throwaway PostgreSQL server from Debian's binaries (initdb + pg_ctl) in a temp directory, on a free loopback port.
/// Run as the 'postgres' user when the tests run as root, since initdb refuses root.
/// </summary>
public sealed class TempPostgres : IAsyncDisposable
{
    private readonly string _binDir;
    private readonly string _dir;
    private readonly bool _asRoot = Environment.UserName == "root";

    private TempPostgres(string binDir, string dir, int port)
    {
        _binDir = binDir;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database = "crosslogic") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=5";

    public static async Task<TempPostgres> StartAsync(int? port = null)
    {
        var binDir = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql: apt-get install postgresql");
        var dir = Path.Combine(Path.GetTempPath(), "crosslogic-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var pg = new TempPostgres(binDir, dir, port ?? FreePort.Next());
        if (pg._asRoot)
        {
            await Run("chown", ["postgres", dir]);
        }

        await pg.RunAsOwner("initdb", ["-D", Path.Combine(dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync"]);
        await pg.StartServerAsync();
        await pg.CreateDatabaseAsync("crosslogic");
        return pg;
    }

    public async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    public Task StartServerAsync() => RunAsOwner("pg_ctl", [
        "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "30",
        "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300",
        "start"]);

    public Task StopServerAsync() => RunAsOwner("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task RunAsOwner(string tool, string[] arguments) =>
        _asRoot ? Run("runuser", ["-u", "postgres", "--", Path.Combine(_binDir, tool), .. arguments]) : Run(Path.Combine(_binDir, tool), arguments);

    private static async Task Run(string fileName, string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}

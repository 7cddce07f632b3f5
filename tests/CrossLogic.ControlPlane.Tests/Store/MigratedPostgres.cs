using CrossLogic.ControlPlane.Store;
using CrossLogic.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrossLogic.ControlPlane.Tests.Store;

/// <summary>A throwaway PostgreSQL, migrated by the same code the control plane runs at start, with a data source on it.</summary>
internal sealed class MigratedPostgres : IAsyncDisposable
{
    private MigratedPostgres(TempPostgres server)
    {
        Server = server;
        DataSource = NpgsqlDataSource.Create(server.ConnectionString());
    }

    public TempPostgres Server { get; }

    public NpgsqlDataSource DataSource { get; }

    public string ConnectionString => Server.ConnectionString();

    /// <summary>Starts and migrates a server; registers <paramref name="nodeIds"/> (model `m`) for tables that refer to nodes.</summary>
    public static async Task<MigratedPostgres> StartAsync(params string[] nodeIds)
    {
        var database = new MigratedPostgres(await TempPostgres.StartAsync());
        await database.MigrateAsync();
        var nodes = new NodeStore(database.DataSource);
        foreach (var nodeId in nodeIds)
        {
            await nodes.CreateAsync(new NewNode(nodeId, 1, [.. System.Text.Encoding.UTF8.GetBytes(nodeId)], "", "http://127.0.0.1:8000", "m", "{}"), default);
        }

        return database;
    }

    /// <summary>Runs the migrations (again: a restart applies nothing twice).</summary>
    public Task MigrateAsync() =>
        new DatabaseMigrator(DataSource, Options.Create(new StoreOptions { ConnectionString = ConnectionString }), TimeProvider.System, NullLogger<DatabaseMigrator>.Instance)
            .StartAsync(default);

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Server.DisposeAsync();
    }
}

using CrossLogic.Testing;

namespace CrossLogic.IntegrationTests;

/// <summary>One throwaway PostgreSQL for the integration tests; each test uses its own node ids.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public TempPostgres Postgres { get; private set; } = null!;

    public string ConnectionString => Postgres.ConnectionString();

    public async Task InitializeAsync() => Postgres = await TempPostgres.StartAsync();

    public async Task DisposeAsync() => await Postgres.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

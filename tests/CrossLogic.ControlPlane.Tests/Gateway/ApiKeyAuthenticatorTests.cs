using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Tests.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.ControlPlane.Tests.Gateway;

/// <summary>
/// API keys against a real PostgreSQL: once a key was verified its cache entry compares it as presented, and that
/// never admits another secret under the same id, nor a key the database revoked since.
/// </summary>
public sealed class ApiKeyAuthenticatorTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero));
    private MigratedPostgres _database = null!;
    private ApiKeyStore _store = null!;
    private ApiKeyAuthenticator _authenticator = null!;
    private string _keyId = "";
    private string _key = "";

    public async Task InitializeAsync()
    {
        _database = await MigratedPostgres.StartAsync();
        _store = new ApiKeyStore(_database.DataSource);
        _authenticator = new ApiKeyAuthenticator(_store, Options.Create(new GatewayOptions { KeyCacheSeconds = 5 }), _time, NullLogger<ApiKeyAuthenticator>.Instance);
        (_keyId, _key) = ApiKeyFormat.Mint();
        await _store.CreateAsync(new ApiKeyRecord { KeyId = _keyId, Tenant = "t", KeyHash = ApiKeyFormat.Hash(_key), CreatedAt = _time.GetUtcNow().UtcDateTime }, default);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_verified_key_keeps_passing_and_another_secret_under_its_id_never_does()
    {
        var forged = _key[..^1] + (_key[^1] == 'A' ? 'B' : 'A');

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(_keyId, (await AuthenticateAsync(_key)).Key?.KeyId);
            Assert.Equal("invalid_api_key", (await AuthenticateAsync(forged)).Error?.Code);
            Assert.Equal("invalid_api_key", (await AuthenticateAsync(_key + "A")).Error?.Code);
        }
    }

    [Fact]
    public async Task A_verified_key_the_database_revoked_fails_once_its_entry_is_read_again()
    {
        Assert.NotNull((await AuthenticateAsync(_key)).Key);
        Assert.NotNull((await AuthenticateAsync(_key)).Key);
        await _store.RevokeAsync("t", _keyId, _time.GetUtcNow().UtcDateTime, default);

        _time.Advance(TimeSpan.FromSeconds(6));

        Assert.Contains("revoked", (await AuthenticateAsync(_key)).Error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_id_is_refused_like_a_wrong_secret()
    {
        var (_, unknown) = ApiKeyFormat.Mint();

        var (key, error) = await AuthenticateAsync(unknown);

        Assert.Null(key);
        Assert.Equal(("invalid_api_key", "Incorrect API key provided."), (error?.Code, error?.Message));
    }

    private ValueTask<(ApiKeyRecord? Key, OpenAiError? Error)> AuthenticateAsync(string key) =>
        _authenticator.AuthenticateAsync("Bearer " + key, default);
}

using System.Globalization;
using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet;
using CrossLogic.ControlPlane.Gateway.ApiKeys;
using CrossLogic.ControlPlane.Gateway.Usage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CrossLogic.ControlPlane.Gateway;

/// <summary>
/// Admin API of the gateway (gRPC and REST): API keys and usage. Every call names its tenant, and a key of another
/// tenant is NOT_FOUND, exactly as a key that does not exist: no call reveals or touches another tenant's objects.
/// </summary>
internal sealed class GatewayAdminService(
    ApiKeyStore keys,
    UsageStore usage,
    ApiKeyAuthenticator authenticator,
    TimeProvider time,
    ILogger<GatewayAdminService> logger) : Contracts.V1.Gateway.GatewayBase
{
    private const int MaxAllowedModels = 256;

    public override async Task<CreateApiKeyResponse> CreateApiKey(CreateApiKeyRequest request, ServerCallContext context)
    {
        var tenant = ParseTenant(request.Parent, "parent");
        var spec = request.ApiKey ?? throw Invalid("api_key is required");
        var now = time.GetUtcNow().UtcDateTime;
        if (spec.DisplayName.Length > 200)
        {
            throw Invalid("api_key.display_name must be at most 200 characters");
        }

        var expires = spec.ExpireTime?.ToDateTime();
        if (expires is { } e && e <= now)
        {
            throw Invalid("api_key.expire_time must be in the future");
        }

        if (spec.AllowedModels.Count > MaxAllowedModels || spec.AllowedModels.Any(m => m.Length is 0 or > 256))
        {
            throw Invalid($"api_key.allowed_models: at most {MaxAllowedModels} names of 1-256 characters");
        }

        if (spec.RequestsPerMinute < 0 || spec.TokensPerMinute < 0)
        {
            throw Invalid("api_key.requests_per_minute and tokens_per_minute must not be negative (0 is no limit)");
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var (keyId, secret) = ApiKeyFormat.Mint();
            var record = new ApiKeyRecord
            {
                KeyId = keyId,
                Tenant = tenant,
                DisplayName = spec.DisplayName,
                KeyHash = ApiKeyFormat.Hash(secret),
                CreatedAt = now,
                ExpiresAt = expires,
                AllowedModels = spec.AllowedModels.Distinct(StringComparer.Ordinal).ToArray(),
                RequestsPerMinute = spec.RequestsPerMinute,
                TokensPerMinute = spec.TokensPerMinute,
            };
            if (await keys.CreateAsync(record, context.CancellationToken).ConfigureAwait(false))
            {
                GatewayLog.KeyChanged(logger, keyId, tenant, "created");
                return new CreateApiKeyResponse { ApiKey = View(record), Key = secret };
            }
        }

        throw new RpcException(new Status(StatusCode.Internal, "could not mint a unique key id; try again"));
    }

    public override async Task<ApiKey> GetApiKey(GetApiKeyRequest request, ServerCallContext context)
    {
        var (tenant, keyId) = ParseKeyName(request.Name);
        var record = await keys.GetAsync(tenant, keyId, context.CancellationToken).ConfigureAwait(false) ?? throw KeyNotFound(request.Name);
        return View(record);
    }

    public override async Task<ListApiKeysResponse> ListApiKeys(ListApiKeysRequest request, ServerCallContext context)
    {
        var tenant = ParseTenant(request.Parent, "parent");
        var size = PageToken.Size(request.PageSize);
        var cursor = DecodeCursor(PageToken.Decode(request.PageToken));
        var records = await keys.ListAsync(tenant, request.ShowRevoked, cursor, size + 1, context.CancellationToken).ConfigureAwait(false);
        var response = new ListApiKeysResponse();
        response.ApiKeys.AddRange(records.Take(size).Select(View));
        if (records.Count > size)
        {
            var last = records[size - 1];
            response.NextPageToken = PageToken.Encode(last.CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture) + "/" + last.KeyId);
        }

        return response;
    }

    public override async Task<ApiKey> RevokeApiKey(RevokeApiKeyRequest request, ServerCallContext context)
    {
        var (tenant, keyId) = ParseKeyName(request.Name);
        var record = await keys.RevokeAsync(tenant, keyId, time.GetUtcNow().UtcDateTime, context.CancellationToken).ConfigureAwait(false)
            ?? throw KeyNotFound(request.Name);
        authenticator.Evict(keyId);
        GatewayLog.KeyChanged(logger, keyId, tenant, "revoked");
        return View(record);
    }

    public override async Task<GetUsageResponse> GetUsage(GetUsageRequest request, ServerCallContext context)
    {
        var tenant = ParseTenant(request.Parent, "parent");
        var end = request.EndTime?.ToDateTime() ?? time.GetUtcNow().UtcDateTime;
        var start = request.StartTime?.ToDateTime() ?? end.AddDays(-1);
        if (start >= end)
        {
            throw Invalid("start_time must be before end_time");
        }

        if (request.KeyId.Length > 0 && !ApiKeyFormat.IsKeyId(request.KeyId))
        {
            throw Invalid("key_id is not a key id (8 lower-case letters or digits)");
        }

        var sums = await usage.SumAsync(tenant, start, end, request.KeyId.Length > 0 ? request.KeyId : null, context.CancellationToken).ConfigureAwait(false);
        var response = new GetUsageResponse();
        foreach (var sum in sums)
        {
            response.Rows.Add(new UsageRow
            {
                KeyId = sum.KeyId,
                Model = sum.Model,
                NodeId = sum.NodeId,
                Requests = sum.Requests,
                PromptTokens = sum.PromptTokens,
                CompletionTokens = sum.CompletionTokens,
                TotalTokens = sum.TotalTokens,
            });
            response.Requests += sum.Requests;
            response.PromptTokens += sum.PromptTokens;
            response.CompletionTokens += sum.CompletionTokens;
            response.TotalTokens += sum.TotalTokens;
        }

        return response;
    }

    private static ApiKey View(ApiKeyRecord record)
    {
        var key = new ApiKey
        {
            Name = $"tenants/{record.Tenant}/apiKeys/{record.KeyId}",
            KeyId = record.KeyId,
            Tenant = record.Tenant,
            DisplayName = record.DisplayName,
            Prefix = ApiKeyFormat.Prefix + record.KeyId,
            CreateTime = Utc(record.CreatedAt),
            ExpireTime = record.ExpiresAt is { } expires ? Utc(expires) : null,
            RevokeTime = record.RevokedAt is { } revoked ? Utc(revoked) : null,
            RequestsPerMinute = record.RequestsPerMinute,
            TokensPerMinute = record.TokensPerMinute,
        };
        key.AllowedModels.AddRange(record.AllowedModels);
        return key;
    }

    private static Timestamp Utc(DateTime value) => Timestamp.FromDateTime(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static (DateTime CreatedAt, string KeyId)? DecodeCursor(string cursor)
    {
        if (cursor.Length == 0)
        {
            return null;
        }

        var slash = cursor.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && long.TryParse(cursor.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks is >= 0 and <= 3155378975999999999 && ApiKeyFormat.IsKeyId(cursor[(slash + 1)..])
            ? (new DateTime(ticks, DateTimeKind.Utc), cursor[(slash + 1)..])
            : throw Invalid("page_token is not one this API returned");
    }

    private static string ParseTenant(string name, string field)
    {
        const string prefix = "tenants/";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !Contracts.NodeIdFormat.IsValid(name[prefix.Length..]))
        {
            throw Invalid($"{field} must look like 'tenants/{{tenant}}' (tenant: {Contracts.NodeIdFormat.Description})");
        }

        return name[prefix.Length..];
    }

    private static (string Tenant, string KeyId) ParseKeyName(string name)
    {
        var parts = name.Split('/');
        if (parts is not ["tenants", var tenant, "apiKeys", var keyId] || !Contracts.NodeIdFormat.IsValid(tenant) || !ApiKeyFormat.IsKeyId(keyId))
        {
            throw Invalid("name must look like 'tenants/{tenant}/apiKeys/{key_id}'");
        }

        return (tenant, keyId);
    }

    private static RpcException KeyNotFound(string name) => new(new Status(StatusCode.NotFound, $"api key '{name}' not found"));

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}

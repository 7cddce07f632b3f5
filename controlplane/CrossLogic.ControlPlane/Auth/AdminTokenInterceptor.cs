using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Auth;

/// <summary>Requires the admin token on every call of the operators' services (Fleet, Gateway), over gRPC and REST alike.</summary>
internal sealed class AdminTokenInterceptor(IOptions<AuthOptions> options) : Interceptor
{
    private static readonly string[] AdminServicePrefixes = ["/crosslogic.v1.Fleet/", "/crosslogic.v1.Gateway/"];
    private readonly byte[] _adminTokenHash = TokenHasher.Hash(options.Value.AdminToken);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        if (!AdminServicePrefixes.Any(prefix => context.Method.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return;
        }

        var token = TokenHasher.FromAuthorizationHeader(context.RequestHeaders.GetValue("authorization"));
        if (token is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing admin token: send 'authorization: Bearer <Auth:AdminToken>'"));
        }

        if (!TokenHasher.Matches(token, _adminTokenHash))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "admin token not valid"));
        }
    }
}

using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CrossLogic.Cli.Invocation;

/// <summary>Puts the bearer token on every call, and a deadline on unary calls so a silent server cannot hang clctl.</summary>
internal sealed class ControlPlaneInterceptor(string? token, TimeSpan unaryTimeout, TimeProvider timeProvider) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var options = WithToken(context.Options);
        if (options.Deadline is null)
        {
            options = options.WithDeadline(timeProvider.GetUtcNow().UtcDateTime + unaryTimeout);
        }

        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options));
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, WithToken(context.Options)));

    private CallOptions WithToken(CallOptions options)
    {
        if (token is null)
        {
            return options;
        }

        var headers = options.Headers ?? [];
        headers.Add("authorization", "Bearer " + token);
        return options.WithHeaders(headers);
    }
}

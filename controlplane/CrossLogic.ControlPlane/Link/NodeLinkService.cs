using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Auth;
using CrossLogic.ControlPlane.Store;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Link;

/// <summary>The gRPC face of the link: authenticates the node, checks its Hello, hands the stream to the session handler.</summary>
internal sealed class NodeLinkService(NodeStore store, LinkSessionHandler sessions, IOptions<NodeLinkOptions> options) : NodeLink.NodeLinkBase
{
    public override async Task Attach(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<ControlMessage> responseStream, ServerCallContext context)
    {
        var token = TokenHasher.FromAuthorizationHeader(context.RequestHeaders.GetValue("authorization"))
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "missing node token: send 'authorization: Bearer <node token>'"));

        string? tokenNodeId;
        try
        {
            tokenNodeId = await store.FindNodeByTokenHashAsync(TokenHasher.Hash(token), context.CancellationToken).ConfigureAwait(false);
        }
        catch (Npgsql.NpgsqlException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "control plane database unavailable; retry"));
        }

        if (tokenNodeId is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "node token not valid"));
        }

        using var helloTimeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        helloTimeout.CancelAfter(options.Value.HelloTimeoutMs);
        bool any;
        try
        {
            any = await requestStream.MoveNext(helloTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no Hello within {options.Value.HelloTimeoutMs} ms"));
        }

        if (!any)
        {
            return;
        }

        var hello = requestStream.Current.Hello
            ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"the first message must be Hello, got {requestStream.Current.BodyCase}"));
        if (AgentMessageValidator.ValidateHello(hello) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }

        if (hello.NodeId != tokenNodeId)
        {
            // Same answer as a wrong token: a credential only ever speaks for the node it was minted for.
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"node token not valid for node '{hello.NodeId}'"));
        }

        try
        {
            await sessions.RunAsync(hello, requestStream, responseStream, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Npgsql.NpgsqlException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "control plane database unavailable; retry"));
        }
    }
}

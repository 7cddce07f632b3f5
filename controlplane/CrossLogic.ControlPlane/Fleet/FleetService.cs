using System.Text.Json;
using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Auth;
using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Gateway;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Link;
using CrossLogic.ControlPlane.Store;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>The operators' API (gRPC and, through transcoding, REST). Thin: validates, then reads or writes the store.</summary>
internal sealed class FleetService(
    NodeStore store,
    LiveNodeRegistry live,
    Link.Relay.NodeCommands commands,
    EngineKeys engineKeys,
    DeploymentService deployments,
    NodeLaunchService launches,
    Events.EventFeed events,
    IOptions<NodeLinkOptions> linkOptions,
    TimeProvider timeProvider) : Contracts.V1.Fleet.FleetBase
{
    private const string NodeTokenPrefix = "cln_";
    private const int MaxLabels = 64;

    public override async Task<CreateNodeResponse> CreateNode(CreateNodeRequest request, ServerCallContext context)
    {
        var nodeId = request.NodeId.Length > 0 ? request.NodeId : "n-" + Guid.NewGuid().ToString("N")[..12];
        if (!Contracts.NodeIdFormat.IsValid(nodeId))
        {
            throw Invalid("node_id must be " + Contracts.NodeIdFormat.Description);
        }

        var spec = request.Node ?? new Node();
        if (spec.ProbeEndpoint.Length > 255)
        {
            throw Invalid("node.probe_endpoint must be at most 255 characters");
        }

        if (spec.EngineEndpoint.Length > 0 && EngineEndpointError(spec.EngineEndpoint) is { } endpointError)
        {
            throw Invalid("node.engine_endpoint " + endpointError);
        }

        if (spec.Model.Length > 256 || spec.Model.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw Invalid("node.model must be at most 256 characters without spaces");
        }

        if (spec.Labels.Count > MaxLabels || spec.Labels.Any(l => l.Key.Length is 0 or > 63 || l.Value.Length > 255))
        {
            throw Invalid($"node.labels: at most {MaxLabels}, keys 1-63 characters, values at most 255");
        }

        var token = TokenHasher.Mint(NodeTokenPrefix);
        var record = await store.CreateAsync(
            new NewNode(
                nodeId,
                (short)Node.Types.State.Requested,
                TokenHasher.Hash(token),
                spec.ProbeEndpoint,
                spec.EngineEndpoint.TrimEnd('/'),
                spec.Model,
                JsonSerializer.Serialize(spec.Labels.ToDictionary(l => l.Key, l => l.Value))),
            context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.AlreadyExists, $"node '{nodeId}' already exists"));
        return new CreateNodeResponse { Node = View(record), Token = token, EngineApiKey = engineKeys.For(nodeId) };
    }

    public override async Task<Node> GetNode(GetNodeRequest request, ServerCallContext context)
    {
        var nodeId = ParseNodeName(request.Name, "name");
        var record = await store.GetAsync(nodeId, context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"node '{nodeId}' not found"));
        return View(record);
    }

    public override async Task<ListNodesResponse> ListNodes(ListNodesRequest request, ServerCallContext context)
    {
        var size = PageToken.Size(request.PageSize);
        var after = PageToken.Decode(request.PageToken);
        var records = await store.ListAsync(after, size + 1, context.CancellationToken).ConfigureAwait(false);
        var response = new ListNodesResponse();
        response.Nodes.AddRange(records.Take(size).Select(View));
        if (records.Count > size)
        {
            response.NextPageToken = PageToken.Encode(records[size - 1].NodeId);
        }

        return response;
    }

    public override async Task<DrainNodeResponse> DrainNode(DrainNodeRequest request, ServerCallContext context)
    {
        var nodeId = ParseNodeName(request.Name, "name");
        var deadline = request.Deadline?.ToTimeSpan();
        if (deadline is { } d && (d < TimeSpan.Zero || d > TimeSpan.FromHours(1)))
        {
            throw Invalid("deadline must be between 0 and 1 hour");
        }

        var commandId = NewCommandId();
        // Through whichever replica holds the node's stream, which takes the node out of routing before it sends.
        await SendAsync(nodeId, commandId, new ControlMessage { DrainEngine = new DrainEngine { CommandId = commandId, Deadline = request.Deadline } }, context).ConfigureAwait(false);
        return new DrainNodeResponse { CommandId = commandId };
    }

    public override async Task<RestartNodeEngineResponse> RestartNodeEngine(RestartNodeEngineRequest request, ServerCallContext context)
    {
        var nodeId = ParseNodeName(request.Name, "name");
        var commandId = NewCommandId();
        var ack = await SendAsync(nodeId, commandId, new ControlMessage { RestartEngine = new RestartEngine { CommandId = commandId } }, context).ConfigureAwait(false);
        try
        {
            var result = await ack.WaitAsync(TimeSpan.FromSeconds(10), context.CancellationToken).ConfigureAwait(false);
            if (!result.Ok)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"node '{nodeId}' refused: {result.Error}"));
            }
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"node '{nodeId}' did not acknowledge the restart: {ex.Message}"));
        }

        return new RestartNodeEngineResponse { CommandId = commandId };
    }

    public override async Task<ListNodeEventsResponse> ListNodeEvents(ListNodeEventsRequest request, ServerCallContext context)
    {
        var nodeId = ParseNodeName(request.Parent, "parent");
        var size = PageToken.Size(request.PageSize);
        var before = EventPages.Before(request.PageToken);
        if (before == long.MaxValue && await store.GetAsync(nodeId, context.CancellationToken).ConfigureAwait(false) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"node '{nodeId}' not found"));
        }

        var rows = await store.ListEventsAsync(nodeId, before, size + 1, context.CancellationToken).ConfigureAwait(false);
        var response = new ListNodeEventsResponse { NextPageToken = rows.Count > size ? EventPages.Next(rows[size - 1].Id) : "" };
        foreach (var row in rows.Take(size))
        {
            var record = new NodeEventRecord { Id = row.Id, NodeId = row.NodeId, Time = EventPages.Time(row.Time), Kind = row.Kind, Reason = row.Reason };
            EventPages.CopyDetail(row.Detail, record.Detail);
            response.Events.Add(record);
        }

        return response;
    }

    public override async Task<Node> LaunchNode(LaunchNodeRequest request, ServerCallContext context)
    {
        var nodeId = await launches.LaunchAsync(request, context.CancellationToken).ConfigureAwait(false);
        return await GetNode(new GetNodeRequest { Name = "nodes/" + nodeId }, context).ConfigureAwait(false);
    }

    public override async Task<Node> TerminateNode(TerminateNodeRequest request, ServerCallContext context)
    {
        var nodeId = ParseNodeName(request.Name, "name");
        await launches.TerminateAsync(nodeId, request, context.CancellationToken).ConfigureAwait(false);
        return await GetNode(new GetNodeRequest { Name = request.Name }, context).ConfigureAwait(false);
    }

    public override async Task WatchEvents(WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> responseStream, ServerCallContext context)
    {
        try
        {
            await events.WatchAsync(request, responseStream, context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The watcher went away.
        }
    }

    public override Task<ListOffersResponse> ListOffers(ListOffersRequest request, ServerCallContext context) =>
        Task.FromResult(launches.ListOffers(request));

    public override Task<Deployment> CreateDeployment(CreateDeploymentRequest request, ServerCallContext context) =>
        deployments.CreateAsync(request, context.CancellationToken);

    public override Task<Deployment> GetDeployment(GetDeploymentRequest request, ServerCallContext context) =>
        deployments.GetAsync(request, context.CancellationToken);

    public override Task<ListDeploymentsResponse> ListDeployments(ListDeploymentsRequest request, ServerCallContext context) =>
        deployments.ListAsync(request, context.CancellationToken);

    public override Task<Deployment> UpdateDeployment(UpdateDeploymentRequest request, ServerCallContext context) =>
        deployments.UpdateAsync(request, context.CancellationToken);

    public override Task<Deployment> DeleteDeployment(DeleteDeploymentRequest request, ServerCallContext context) =>
        deployments.DeleteAsync(request, context.CancellationToken);

    public override Task<ListDeploymentEventsResponse> ListDeploymentEvents(ListDeploymentEventsRequest request, ServerCallContext context) =>
        deployments.ListEventsAsync(request, context.CancellationToken);

    /// <summary>Sends a command on the node's live stream; FAILED_PRECONDITION when it has none here.</summary>
    private async Task<Task<CommandAck>> SendAsync(string nodeId, string commandId, ControlMessage command, ServerCallContext context)
    {
        if (await store.GetAsync(nodeId, context.CancellationToken).ConfigureAwait(false) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"node '{nodeId}' not found"));
        }

        try
        {
            return await commands.SendAsync(nodeId, commandId, command, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Link.Relay.NodeNotConnectedException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
    }

    /// <summary>Null when <paramref name="endpoint"/> is `http(s)://host:port` and nothing else; else what is wrong.</summary>
    private static string? EngineEndpointError(string endpoint)
    {
        if (endpoint.Length > 255 || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            return "must be an absolute URL such as http://10.0.0.5:8000";
        }

        if (uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || uri.AbsolutePath != "/")
        {
            return "must be http(s)://host:port with no path, query or credentials";
        }

        return null;
    }

    private static string NewCommandId() => "cmd-" + Guid.NewGuid().ToString("N")[..16];

    private Node View(NodeRecord record)
    {
        // Two flushes plus slack: a live stream on any replica refreshes last_seen at least that often.
        var freshness = TimeSpan.FromMilliseconds((2 * linkOptions.Value.FlushIntervalMs) + (3 * linkOptions.Value.HeartbeatIntervalMs));
        return NodeView.From(record, live.Find(record.NodeId), timeProvider.GetUtcNow().UtcDateTime - freshness);
    }

    private static string ParseNodeName(string name, string field)
    {
        const string prefix = "nodes/";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !Contracts.NodeIdFormat.IsValid(name[prefix.Length..]))
        {
            throw Invalid($"{field} must look like 'nodes/{{node_id}}'");
        }

        return name[prefix.Length..];
    }

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}

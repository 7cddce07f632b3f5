using CrossLogic.Contracts.V1;
using Grpc.Core;

namespace CrossLogic.ControlPlane.Fleet.Events;

/// <summary>
/// WatchEvents: the recent backlog, then (with follow) every new node and deployment event, polled from the database
/// so events recorded by any control-plane replica arrive. An event committed out of id order by a concurrent
/// transaction can be missed by a cursor; the feed is for watching, the lists are the record.
/// </summary>
internal sealed class EventFeed(EventFeedStore store, TimeProvider timeProvider)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public async Task WatchAsync(WatchEventsRequest request, IServerStreamWriter<WatchEventsResponse> stream, CancellationToken cancellationToken)
    {
        var backlog = request.Backlog switch
        {
            < 0 => throw new RpcException(new Status(StatusCode.InvalidArgument, "backlog must not be negative")),
            0 => 20,
            > 1000 => 1000,
            var n => n,
        };
        var (nodeId, deploymentId) = ParseFilter(request.Filter);
        var (nodeCursor, deploymentCursor) = await store.CursorsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var row in await store.LatestAsync(backlog, nodeId, deploymentId, cancellationToken).ConfigureAwait(false))
        {
            await stream.WriteAsync(ToResponse(row), cancellationToken).ConfigureAwait(false);
        }

        while (request.Follow && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            foreach (var row in await store.AfterAsync(nodeCursor, deploymentCursor, 500, nodeId, deploymentId, cancellationToken).ConfigureAwait(false))
            {
                if (row.IsNode)
                {
                    nodeCursor = Math.Max(nodeCursor, row.Id);
                }
                else
                {
                    deploymentCursor = Math.Max(deploymentCursor, row.Id);
                }

                await stream.WriteAsync(ToResponse(row), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static (string? NodeId, string? DeploymentId) ParseFilter(string filter)
    {
        if (filter.Length == 0)
        {
            return (null, null);
        }

        if (filter.StartsWith("nodes/", StringComparison.Ordinal) && Contracts.NodeIdFormat.IsValid(filter["nodes/".Length..]))
        {
            return (filter["nodes/".Length..], null);
        }

        if (filter.StartsWith("deployments/", StringComparison.Ordinal) && Deployments.DeploymentValidator.DeploymentIdError(filter["deployments/".Length..]) is null)
        {
            return (null, filter["deployments/".Length..]);
        }

        throw new RpcException(new Status(StatusCode.InvalidArgument, "filter must be empty, 'nodes/{node_id}' or 'deployments/{deployment_id}'"));
    }

    private static WatchEventsResponse ToResponse(EventFeedStore.Row row)
    {
        if (row.IsNode)
        {
            var node = new NodeEventRecord { Id = row.Id, NodeId = row.Subject, Time = EventPages.Time(row.Time), Kind = row.Kind, Reason = row.Reason };
            EventPages.CopyDetail(row.Detail, node.Detail);
            return new WatchEventsResponse { NodeEvent = node };
        }

        var deployment = new DeploymentEventRecord { Id = row.Id, DeploymentId = row.Subject, Time = EventPages.Time(row.Time), Kind = row.Kind, Reason = row.Reason };
        EventPages.CopyDetail(row.Detail, deployment.Detail);
        return new WatchEventsResponse { DeploymentEvent = deployment };
    }
}

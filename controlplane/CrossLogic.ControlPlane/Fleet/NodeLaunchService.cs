using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet.Deployments;
using CrossLogic.ControlPlane.Fleet.Offers;
using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Gateway.Routing;
using CrossLogic.ControlPlane.Link;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet;

/// <summary>Single-node launches and teardowns, and offers, behind <see cref="FleetService"/>.</summary>
internal sealed class NodeLaunchService(
    FleetNodeStore nodes,
    OfferSource offers,
    OfferCatalog catalog,
    ProvisionerRegistry provisioners,
    NodeTokens nodeTokens,
    LiveNodeRegistry live,
    RoutingTable routing,
    IOptions<FleetOptions> options)
{
    /// <summary>Records the launch (node + outbox item) and returns the node's id; the outbox worker launches it.</summary>
    public async Task<string> LaunchAsync(LaunchNodeRequest request, CancellationToken cancellationToken)
    {
        Check(DeploymentValidator.ModelError(request.Model, "model"));
        Check(DeploymentValidator.EngineArgsError(request.EngineArgs, "engine_args"));
        Check(DeploymentValidator.GpuCountError(request.GpuCount, automaticAllowed: false));
        Check(request.Infra.Length > 0 ? DeploymentValidator.InfraError([request.Infra], "infra") : null);
        var provisioner = request.Provisioner.Length > 0 ? request.Provisioner : provisioners.DefaultName;
        if (provisioners.Find(provisioner) is null)
        {
            throw Invalid($"provisioner '{request.Provisioner}' is not configured here (configured: {string.Join(", ", provisioners.Names)})");
        }

        var gpu = request.GpuType.Length == 0 ? throw Invalid("gpu_type is required (for example H100, A100-80GB, L4)")
            : offers.CanonicalGpu(request.GpuType) ?? throw Invalid($"gpu_type '{request.GpuType}' is not a GPU this control plane knows");
        var placement = request.Infra.Length > 0 ? new[] { request.Infra.ToLowerInvariant() } : [];
        var offer = offers.For(provisioner, gpu, request.GpuCount, placement).Where(o => o.Spot == request.Spot || provisioner == "local")
            .OrderBy(o => o.PricePerHour).FirstOrDefault()
            ?? throw Invalid($"infra: no {(request.Spot ? "spot" : "on-demand")} offer for {request.GpuCount} × {gpu} in {(request.Infra.Length > 0 ? request.Infra : "any cloud")}");
        if (provisioner == "local" && request.Spot)
        {
            throw Invalid("spot: the local provisioner has no spot capacity");
        }

        var node = NewFleetNode.ForOffer(offer, null, provisioner, gpu, request.GpuCount, request.Model, [.. request.EngineArgs], nodeTokens);
        await nodes.CreateLaunchAsync(node, $"launched by an operator: {Reconcile.DeploymentPlanner.Describe(offer)}", cancellationToken).ConfigureAwait(false);
        return node.NodeId;
    }

    /// <summary>Retires the node (drain, then teardown); FAILED_PRECONDITION for nodes no provisioner launched.</summary>
    public async Task TerminateAsync(string nodeId, TerminateNodeRequest request, CancellationToken cancellationToken)
    {
        var timeout = request.DrainTimeout?.ToTimeSpan() ?? TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);
        if (timeout < TimeSpan.Zero || timeout > TimeSpan.FromHours(1))
        {
            throw Invalid("drain_timeout must be between 0 and 1 hour");
        }

        var node = await nodes.GetAsync(nodeId, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"node '{nodeId}' not found"));
        if (node.ClusterName is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"node '{nodeId}' was registered by hand, not launched by a provisioner: stop its machine yourself"));
        }

        if (node.ReleasedAt is not null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"node '{nodeId}' is already gone"));
        }

        await nodes.RetireAsync(nodeId, request.Force ? "terminated by an operator (forced)" : "terminated by an operator", timeout, request.Force, cancellationToken).ConfigureAwait(false);
        if (request.Force && live.SessionOf(nodeId) is { } session)
        {
            session.DrainRequested = true;
            routing.Update(session.Route());
        }
    }

    public ListOffersResponse ListOffers(ListOffersRequest request)
    {
        var count = request.GpuCount == 0 ? 1 : request.GpuCount;
        Check(DeploymentValidator.GpuCountError(count, automaticAllowed: false));
        Check(DeploymentValidator.InfraError(request.Infra, "infra"));
        var gpu = request.GpuType.Length == 0 ? throw Invalid("gpu_type is required (for example H100, A100-80GB, L4)")
            : offers.CanonicalGpu(request.GpuType) ?? throw Invalid($"gpu_type '{request.GpuType}' is not a GPU this control plane knows");
        if (catalog.All.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "no SkyPilot catalog is loaded: set Fleet:CatalogDirectory (e.g. ~/.sky/catalogs/v8)"));
        }

        var response = new ListOffersResponse();
        response.Offers.AddRange(catalog.Cheapest(gpu, count, [.. request.Infra.Select(i => i.ToLowerInvariant())]).Select(DeploymentView.ToApi));
        return response;
    }

    private static void Check(string? error)
    {
        if (error is not null)
        {
            throw Invalid(error);
        }
    }

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}

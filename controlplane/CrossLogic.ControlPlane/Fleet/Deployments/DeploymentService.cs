using CrossLogic.Contracts.V1;
using CrossLogic.ControlPlane.Fleet.Offers;
using CrossLogic.ControlPlane.Fleet.Provisioning;
using CrossLogic.ControlPlane.Fleet.Reconcile;
using CrossLogic.ControlPlane.Fleet.Sizing;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet.Deployments;

/// <summary>The deployment RPCs behind <see cref="FleetService"/>: validate, size, store, and wake the reconciler.</summary>
internal sealed class DeploymentService(
    DeploymentStore store,
    OfferSource offers,
    ProvisionerRegistry provisioners,
    ReconcileSignal reconcile,
    IOptions<FleetOptions> options)
{
    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal)
    {
        "replicas", "min_replicas", "max_replicas", "max_surge", "spot_policy", "spot_policy.mode", "spot_policy.on_demand_base",
        "placement", "placement.infra", "placement.spread", "engine_args",
    };

    public async Task<Deployment> CreateAsync(CreateDeploymentRequest request, CancellationToken cancellationToken)
    {
        var spec = request.Deployment ?? throw Invalid("deployment is required");
        var id = request.DeploymentId.Length > 0 ? request.DeploymentId : "d-" + Guid.NewGuid().ToString("N")[..10];
        Check(DeploymentValidator.DeploymentIdError(id));
        Check(DeploymentValidator.ModelError(spec.Model, "deployment.model"));
        Check(DeploymentValidator.EngineArgsError(spec.EngineArgs, "deployment.engine_args"));
        Check(DeploymentValidator.ReplicasError(spec, options.Value.MaxReplicas));
        Check(DeploymentValidator.InfraError(spec.Placement?.Infra ?? [], "deployment.placement.infra"));
        var provisioner = spec.Provisioner.Length > 0 ? spec.Provisioner : provisioners.DefaultName;
        if (provisioners.Find(provisioner) is null)
        {
            throw Invalid($"deployment.provisioner '{spec.Provisioner}' is not configured here (configured: {string.Join(", ", provisioners.Names)})");
        }

        var gpu = spec.GpuType.Length == 0 ? throw Invalid("deployment.gpu_type is required (for example H100, A100-80GB, L4)")
            : offers.CanonicalGpu(spec.GpuType) ?? throw Invalid($"deployment.gpu_type '{spec.GpuType}' is not a GPU this control plane knows");
        Check(DeploymentValidator.GpuCountError(spec.GpuCount, automaticAllowed: true));
        var mode = SpotMode(spec.SpotPolicy, provisioner);

        var profile = ModelProfiles.Resolve(spec.Model, spec.ModelProfile);
        var (sizing, sizingError) = profile.ParametersBillions > 0
            ? ModelSizer.Size(profile, gpu, offers.GpuMemoryGib(gpu))
            : (null, "deployment.model_profile.parameters_billions is needed for automatic sizing of an unknown model");
        var gpuCount = spec.GpuCount;
        if (gpuCount == 0)
        {
            gpuCount = sizing?.GpuCount ?? throw Invalid(sizingError!.StartsWith("gpu_count", StringComparison.Ordinal) ? "deployment." + sizingError : sizingError!);
        }

        var placement = Placement(spec.Placement?.Infra ?? []);
        var available = OffersOrRefuse(provisioner, gpu, gpuCount, placement);

        var row = new DeploymentRow
        {
            DeploymentId = id,
            Model = spec.Model,
            EngineArgs = [.. spec.EngineArgs],
            GpuType = gpu,
            GpuCount = gpuCount,
            ModelProfile = JsonFormatter.Default.Format(profile),
            Sizing = sizing is null ? "{}" : JsonFormatter.Default.Format(sizing),
            Replicas = spec.Replicas,
            MinReplicas = spec.MinReplicas,
            MaxReplicas = spec.MaxReplicas == 0 ? options.Value.MaxReplicas : spec.MaxReplicas,
            MaxSurge = Math.Max(1, spec.MaxSurge),
            SpotMode = (short)mode,
            OnDemandBase = spec.SpotPolicy?.OnDemandBase ?? 0,
            PlacementInfra = placement,
            PlacementSpread = spec.Placement?.Spread ?? false,
            Provisioner = provisioner,
        };
        if (request.ValidateOnly)
        {
            var preview = DeploymentView.From(row with { CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow }, null);
            preview.Offers.AddRange(available.Take(10).Select(DeploymentView.ToApi));
            return preview;
        }

        var created = await store.CreateAsync(row, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.AlreadyExists,
                $"deployment '{id}' already exists, or existed: a deleted deployment's id stays reserved for its nodes' history; choose another id"));
        reconcile.Poke();
        return DeploymentView.From(created, null);
    }

    public async Task<Deployment> GetAsync(GetDeploymentRequest request, CancellationToken cancellationToken)
    {
        var row = await FindAsync(ParseName(request.Name, "name"), cancellationToken).ConfigureAwait(false);
        var counts = await store.CountsAsync([row.DeploymentId], cancellationToken).ConfigureAwait(false);
        var view = DeploymentView.From(row, counts.GetValueOrDefault(row.DeploymentId));
        view.Offers.AddRange(offers.For(row.Provisioner, row.GpuType, row.GpuCount, row.PlacementInfra).Take(10).Select(DeploymentView.ToApi));
        return view;
    }

    public async Task<ListDeploymentsResponse> ListAsync(ListDeploymentsRequest request, CancellationToken cancellationToken)
    {
        var size = PageToken.Size(request.PageSize);
        var rows = await store.ListAsync(PageToken.Decode(request.PageToken), size + 1, cancellationToken).ConfigureAwait(false);
        var page = rows.Take(size).ToList();
        var counts = await store.CountsAsync([.. page.Select(r => r.DeploymentId)], cancellationToken).ConfigureAwait(false);
        var response = new ListDeploymentsResponse();
        response.Deployments.AddRange(page.Select(r => DeploymentView.From(r, counts.GetValueOrDefault(r.DeploymentId))));
        if (rows.Count > size)
        {
            response.NextPageToken = PageToken.Encode(page[^1].DeploymentId);
        }

        return response;
    }

    public async Task<Deployment> UpdateAsync(UpdateDeploymentRequest request, CancellationToken cancellationToken)
    {
        var patch = request.Deployment ?? throw Invalid("deployment is required");
        var id = ParseName(patch.Name, "deployment.name");
        var paths = request.UpdateMask?.Paths ?? [];
        if (paths.Count == 0)
        {
            throw Invalid("update_mask must name the fields to change (replicas, min_replicas, max_replicas, max_surge, spot_policy, placement, engine_args)");
        }

        if (paths.FirstOrDefault(p => !UpdatablePaths.Contains(p)) is { } fixedField)
        {
            throw Invalid($"update_mask: '{fixedField}' cannot be changed; create a new deployment (changeable: {string.Join(", ", UpdatablePaths.Order(StringComparer.Ordinal))})");
        }

        var row = await FindAsync(id, cancellationToken).ConfigureAwait(false);
        if (row.State != DeploymentRow.Active)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"deployment '{id}' is being deleted"));
        }

        var merged = DeploymentView.From(row, null);
        foreach (var path in paths)
        {
            switch (path)
            {
                case "replicas": merged.Replicas = patch.Replicas; break;
                case "min_replicas": merged.MinReplicas = patch.MinReplicas; break;
                case "max_replicas": merged.MaxReplicas = patch.MaxReplicas; break;
                case "max_surge": merged.MaxSurge = patch.MaxSurge; break;
                case "spot_policy": merged.SpotPolicy = patch.SpotPolicy ?? new SpotPolicy(); break;
                case "spot_policy.mode": merged.SpotPolicy.Mode = patch.SpotPolicy?.Mode ?? SpotPolicy.Types.Mode.Unspecified; break;
                case "spot_policy.on_demand_base": merged.SpotPolicy.OnDemandBase = patch.SpotPolicy?.OnDemandBase ?? 0; break;
                case "placement": merged.Placement = patch.Placement ?? new Placement(); break;
                case "placement.infra": merged.Placement.Infra.Clear(); merged.Placement.Infra.AddRange(patch.Placement?.Infra ?? []); break;
                case "placement.spread": merged.Placement.Spread = patch.Placement?.Spread ?? false; break;
                case "engine_args": merged.EngineArgs.Clear(); merged.EngineArgs.AddRange(patch.EngineArgs); break;
            }
        }

        Check(DeploymentValidator.ReplicasError(merged, options.Value.MaxReplicas));
        Check(DeploymentValidator.EngineArgsError(merged.EngineArgs, "deployment.engine_args"));
        Check(DeploymentValidator.InfraError(merged.Placement.Infra, "deployment.placement.infra"));
        var mode = SpotMode(merged.SpotPolicy, row.Provisioner);
        var placement = Placement(merged.Placement.Infra);
        OffersOrRefuse(row.Provisioner, row.GpuType, row.GpuCount, placement);

        var updated = await store.UpdateAsync(row with
        {
            Replicas = merged.Replicas,
            MinReplicas = merged.MinReplicas,
            MaxReplicas = merged.MaxReplicas == 0 ? options.Value.MaxReplicas : merged.MaxReplicas,
            MaxSurge = Math.Max(1, merged.MaxSurge),
            SpotMode = (short)mode,
            OnDemandBase = merged.SpotPolicy.OnDemandBase,
            PlacementInfra = placement,
            PlacementSpread = merged.Placement.Spread,
            EngineArgs = [.. merged.EngineArgs],
        }, Describe(row, merged, paths), cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"deployment '{id}' is being deleted"));
        reconcile.Poke();
        var counts = await store.CountsAsync([id], cancellationToken).ConfigureAwait(false);
        return DeploymentView.From(updated, counts.GetValueOrDefault(id));
    }

    public async Task<Deployment> DeleteAsync(DeleteDeploymentRequest request, CancellationToken cancellationToken)
    {
        var id = ParseName(request.Name, "name");
        var row = await store.MarkDeletingAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"deployment '{id}' not found"));
        reconcile.Poke();
        var counts = await store.CountsAsync([id], cancellationToken).ConfigureAwait(false);
        return DeploymentView.From(row, counts.GetValueOrDefault(id));
    }

    public async Task<ListDeploymentEventsResponse> ListEventsAsync(ListDeploymentEventsRequest request, CancellationToken cancellationToken)
    {
        var id = ParseName(request.Parent, "parent");
        var size = PageToken.Size(request.PageSize);
        var before = EventPages.Before(request.PageToken);
        if (before == long.MaxValue)
        {
            await FindAsync(id, cancellationToken).ConfigureAwait(false);
        }

        var rows = await store.ListEventsAsync(id, before, size + 1, cancellationToken).ConfigureAwait(false);
        var response = new ListDeploymentEventsResponse { NextPageToken = rows.Count > size ? EventPages.Next(rows[size - 1].Id) : "" };
        foreach (var row in rows.Take(size))
        {
            var record = new DeploymentEventRecord { Id = row.Id, DeploymentId = row.DeploymentId, Time = EventPages.Time(row.Time), Kind = row.Kind, Reason = row.Reason };
            EventPages.CopyDetail(row.Detail, record.Detail);
            response.Events.Add(record);
        }

        return response;
    }

    /// <summary>The policy's mode (unset: SPOT_FIRST); SPOT_ONLY is refused where the provisioner has no spot capacity.</summary>
    private static SpotPolicy.Types.Mode SpotMode(SpotPolicy? policy, string provisioner)
    {
        var mode = policy?.Mode is { } m and not SpotPolicy.Types.Mode.Unspecified ? m : SpotPolicy.Types.Mode.SpotFirst;
        return provisioner == "local" && mode == SpotPolicy.Types.Mode.SpotOnly
            ? throw Invalid("deployment.spot_policy.mode: the local provisioner has no spot capacity; use SPOT_FIRST or ON_DEMAND")
            : mode;
    }

    private static string[] Placement(IEnumerable<string> infra) => [.. infra.Select(i => i.ToLowerInvariant())];

    /// <summary>The offers new replicas would come from; INVALID_ARGUMENT when there are none.</summary>
    private IReadOnlyList<Offers.Offer> OffersOrRefuse(string provisioner, string gpu, int gpuCount, string[] placement)
    {
        var available = offers.For(provisioner, gpu, gpuCount, placement);
        return available.Count > 0
            ? available
            : throw Invalid($"deployment.placement: no {(provisioner == "local" ? "local" : "catalog")} offer for {gpuCount} × {gpu} in {(placement.Length > 0 ? string.Join(", ", placement) : "any cloud")}");
    }

    private async Task<DeploymentRow> FindAsync(string id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken).ConfigureAwait(false)
        ?? throw new RpcException(new Status(StatusCode.NotFound, $"deployment '{id}' not found"));

    private static string Describe(DeploymentRow before, Deployment after, IEnumerable<string> paths) =>
        string.Join("; ", paths.Select(p => p switch
        {
            "replicas" => $"replicas {before.Replicas} → {after.Replicas}",
            "min_replicas" => $"min_replicas {before.MinReplicas} → {after.MinReplicas}",
            "max_replicas" => $"max_replicas {before.MaxReplicas} → {after.MaxReplicas}",
            _ => p + " changed",
        }));

    internal static string ParseName(string name, string field)
    {
        const string prefix = "deployments/";
        return name.StartsWith(prefix, StringComparison.Ordinal) && DeploymentValidator.DeploymentIdError(name[prefix.Length..]) is null
            ? name[prefix.Length..]
            : throw Invalid($"{field} must look like 'deployments/{{deployment_id}}'");
    }

    private static void Check(string? error)
    {
        if (error is not null)
        {
            throw Invalid(error.StartsWith("deployment", StringComparison.Ordinal) ? error : "deployment." + error);
        }
    }

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}

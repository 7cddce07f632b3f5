using CrossLogic.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace CrossLogic.ControlPlane.Fleet.Deployments;

/// <summary>Builds the API's Deployment from its row and replica counts, and API offers from catalog offers.</summary>
internal static class DeploymentView
{
    public static Deployment From(DeploymentRow row, ReplicaCounts? counts)
    {
        var deployment = new Deployment
        {
            Name = "deployments/" + row.DeploymentId,
            DeploymentId = row.DeploymentId,
            State = row.State == DeploymentRow.Active ? Deployment.Types.State.Active : Deployment.Types.State.Deleting,
            Model = row.Model,
            GpuType = row.GpuType,
            GpuCount = row.GpuCount,
            Replicas = row.Replicas,
            MinReplicas = row.MinReplicas,
            MaxReplicas = row.MaxReplicas,
            MaxSurge = row.MaxSurge,
            SpotPolicy = new SpotPolicy { Mode = (SpotPolicy.Types.Mode)row.SpotMode, OnDemandBase = row.OnDemandBase },
            Placement = new Placement { Spread = row.PlacementSpread },
            Provisioner = row.Provisioner,
            ReadyReplicas = counts?.Ready ?? 0,
            PendingReplicas = counts?.Pending ?? 0,
            CreateTime = Utc(row.CreatedAt),
            UpdateTime = Utc(row.UpdatedAt),
            ModelProfile = JsonParser.Default.Parse<ModelProfile>(row.ModelProfile),
            Sizing = JsonParser.Default.Parse<Contracts.V1.Sizing>(row.Sizing),
        };
        deployment.EngineArgs.AddRange(row.EngineArgs);
        deployment.Placement.Infra.AddRange(row.PlacementInfra);
        return deployment;
    }

    public static Contracts.V1.Offer ToApi(Offers.Offer offer) => new()
    {
        Cloud = offer.Cloud,
        Region = offer.Region,
        Zone = offer.Zone,
        InstanceType = offer.InstanceType,
        GpuType = offer.GpuType,
        GpuCount = offer.GpuCount,
        GpuMemoryGib = Math.Round(offer.GpuMemoryGib, 2),
        Spot = offer.Spot,
        PricePerHour = offer.PricePerHour,
        PricePerGpuHour = Math.Round(offer.PricePerGpuHour, 5),
    };

    private static Timestamp Utc(DateTime time) => Timestamp.FromDateTime(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}

namespace CrossLogic.ControlPlane.Fleet.Offers;

/// <summary>One way to buy a machine with <see cref="GpuCount"/> GPUs: where, which instance, spot or not, at what price.</summary>
internal sealed record Offer(
    string Cloud,
    string Region,
    string Zone,
    string InstanceType,
    string GpuType,
    int GpuCount,
    double GpuMemoryGib,
    bool Spot,
    double PricePerHour)
{
    public double PricePerGpuHour => GpuCount > 0 ? PricePerHour / GpuCount : PricePerHour;

    /// <summary>`aws/us-east-1`.</summary>
    public string Infra => Region.Length > 0 ? Cloud + "/" + Region : Cloud;

    /// <summary>True when <paramref name="infra"/> (`aws`, `aws/us-east-1`) includes this offer.</summary>
    public bool IsIn(string infra)
    {
        var parts = infra.ToLowerInvariant().Split('/');
        return parts[0] == Cloud && (parts.Length < 2 || parts[1] is "*" or "" || parts[1] == Region);
    }
}

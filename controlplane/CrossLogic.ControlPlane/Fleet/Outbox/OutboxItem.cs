namespace CrossLogic.ControlPlane.Fleet.Outbox;

/// <summary>A claimed side effect: launch or tear down one cluster.</summary>
internal sealed record OutboxItem
{
    public const string Launch = "launch";
    public const string Teardown = "teardown";

    public long Id { get; init; }
    public required string Kind { get; init; }
    public string? NodeId { get; init; }
    public required string ClusterName { get; init; }
    public required string Provisioner { get; init; }
    public string Payload { get; init; } = "{}";
    public int Attempts { get; init; }
}

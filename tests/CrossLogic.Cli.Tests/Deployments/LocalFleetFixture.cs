namespace CrossLogic.Cli.Tests.Deployments;

/// <summary>
/// A control plane that really launches machines, with deployment <see cref="Name"/> created through
/// `clctl deployments create … --replicas 2 --wait`; the class's tests read that run's result and the fleet it left.
/// </summary>
public sealed class LocalFleetFixture() : ControlPlaneFixture(localFleet: true)
{
    public const string Name = "web";
    public const string Model = "cli-model";

    /// <summary>The `create --wait` run.</summary>
    public ClctlResult Created { get; private set; } = new(-1, "", "");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Created = await Clctl.RunAsync(
            Args("deployments", "create", Name, "--model", Model, "--gpu", "L4", "--gpu-count", "1", "--replicas", "2", "--max", "4", "--wait", "--timeout", "2m"),
            null,
            TimeSpan.FromMinutes(3));
    }
}

namespace CrossLogic.ControlPlane.Fleet.Provisioning;

/// <summary>The provisioners this control plane is configured with, by name.</summary>
internal sealed class ProvisionerRegistry(IEnumerable<INodeProvisioner> provisioners, Microsoft.Extensions.Options.IOptions<FleetOptions> options)
{
    private readonly Dictionary<string, INodeProvisioner> _byName = provisioners.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<INodeProvisioner> All => _byName.Values;

    public IEnumerable<string> Names => _byName.Keys;

    /// <summary>The provisioner an empty name means.</summary>
    public string DefaultName => options.Value.DefaultProvisioner;

    public INodeProvisioner? Find(string name) => _byName.GetValueOrDefault(name.Length > 0 ? name : DefaultName);

    public INodeProvisioner Get(string name) =>
        Find(name) ?? throw new ProvisionException(ProvisionFailure.Invalid, $"provisioner '{name}' is not configured here");
}

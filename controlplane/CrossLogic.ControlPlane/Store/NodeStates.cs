namespace CrossLogic.ControlPlane.Store;

/// <summary>Node states as `nodes.state` holds them (the proto's numbers) and as events and metrics name them.</summary>
internal static class NodeStates
{
    /// <summary>The proto's own name of a state (`STARTING`), as the API's JSON shows it.</summary>
    public static string Name(short state) =>
        Contracts.V1.Node.Descriptor.EnumTypes[0].FindValueByNumber(state)?.Name ?? state.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Name(Contracts.V1.Node.Types.State state) => Name((short)state);
}

namespace CrossLogic.ControlPlane.Fleet.Provisioning;

/// <summary>Why a provisioner call failed, in terms an operator (and the reconciler) can act on.</summary>
internal enum ProvisionFailure
{
    /// <summary>The cloud has no capacity for this request now: try another offer, or later.</summary>
    NoCapacity,

    /// <summary>An account quota is exhausted: try another cloud or region; raise the quota.</summary>
    Quota,

    /// <summary>Credentials are missing or rejected: nothing on that cloud works until an operator fixes them.</summary>
    Auth,

    /// <summary>The request can never succeed as asked (no such instance in the catalog, bad task).</summary>
    Invalid,

    /// <summary>The cluster the call named does not exist.</summary>
    UnknownCluster,

    /// <summary>Anything else (a timeout, a crash of the CLI): worth retrying as is.</summary>
    Transient,
}

internal sealed class ProvisionException(ProvisionFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public ProvisionFailure Failure { get; } = failure;

    /// <summary>`no_capacity`, `quota`…: how the failure is stored and shown.</summary>
    public string Kind => KindOf(Failure);

    public static string KindOf(ProvisionFailure failure) => failure switch
    {
        ProvisionFailure.NoCapacity => "no_capacity",
        ProvisionFailure.Quota => "quota",
        ProvisionFailure.Auth => "auth",
        ProvisionFailure.Invalid => "invalid",
        ProvisionFailure.UnknownCluster => "unknown_cluster",
        _ => "transient",
    };
}

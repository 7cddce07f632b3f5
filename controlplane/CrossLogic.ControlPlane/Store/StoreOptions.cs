using System.ComponentModel.DataAnnotations;

namespace CrossLogic.ControlPlane.Store;

/// <summary>Where the state lives.</summary>
internal sealed class StoreOptions
{
    /// <summary>Npgsql connection string (`ConnectionStrings:Postgres`).</summary>
    [Required(ErrorMessage = "ConnectionStrings:Postgres is required, e.g. Host=127.0.0.1;Username=crosslogic;Database=crosslogic")]
    public string ConnectionString { get; set; } = "";

    /// <summary>Cap of the delay between attempts to reach the database at start, in milliseconds.</summary>
    [Range(100, 600_000)]
    public int MaxConnectRetryDelayMs { get; set; } = 5_000;
}

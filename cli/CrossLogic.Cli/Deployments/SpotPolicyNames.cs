using CrossLogic.Contracts.V1;

namespace CrossLogic.Cli.Deployments;

/// <summary>`--spot-policy` values and the API modes they stand for.</summary>
internal static class SpotPolicyNames
{
    public const string SpotFirst = "spot-first";
    public const string OnDemand = "on-demand";
    public const string SpotOnly = "spot-only";

    public static string[] All => [SpotFirst, OnDemand, SpotOnly];

    public static SpotPolicy.Types.Mode Mode(string name) => name switch
    {
        OnDemand => SpotPolicy.Types.Mode.OnDemand,
        SpotOnly => SpotPolicy.Types.Mode.SpotOnly,
        _ => SpotPolicy.Types.Mode.SpotFirst,
    };

    public static string Name(SpotPolicy.Types.Mode mode) => mode switch
    {
        SpotPolicy.Types.Mode.OnDemand => OnDemand,
        SpotPolicy.Types.Mode.SpotOnly => SpotOnly,
        _ => SpotFirst,
    };
}

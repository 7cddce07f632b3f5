namespace CrossLogic.Agent.Gpu;

/// <summary>
/// NVML clock-event (throttle) reason bits, and which of them mean the GPU is slowed by heat or power trouble.
/// The software power cap is left out on purpose: a fully loaded GPU sits at its power cap in normal operation.
/// </summary>
internal static class ClockEventReasons
{
    public const ulong GpuIdle = 0x1;
    public const ulong SwPowerCap = 0x4;
    public const ulong HwSlowdown = 0x8;
    public const ulong SwThermalSlowdown = 0x20;
    public const ulong HwThermalSlowdown = 0x40;
    public const ulong HwPowerBrakeSlowdown = 0x80;

    public static IEnumerable<string> Degrading(ulong reasons)
    {
        if ((reasons & HwSlowdown) != 0)
        {
            yield return "hardware slowdown";
        }

        if ((reasons & HwThermalSlowdown) != 0)
        {
            yield return "hardware thermal slowdown";
        }

        if ((reasons & SwThermalSlowdown) != 0)
        {
            yield return "software thermal slowdown";
        }

        if ((reasons & HwPowerBrakeSlowdown) != 0)
        {
            yield return "power brake slowdown";
        }

    }
}

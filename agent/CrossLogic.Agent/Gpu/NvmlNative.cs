using System.Runtime.InteropServices;

namespace CrossLogic.Agent.Gpu;

/// <summary>
/// The NVML entry points the agent uses (nvml.h), bound with LibraryImport so the agent stays Native-AOT clean.
/// Every function returns an nvmlReturn_t; see <see cref="NvmlReturn"/>.
/// </summary>
internal static unsafe partial class NvmlNative
{
    public const string Library = "libnvidia-ml.so.1";
    public const int DeviceNameBufferSize = 96;
    public const int DeviceUuidBufferSize = 80;
    public const int TemperatureGpu = 0;
    public const int MemoryErrorUncorrected = 1;
    public const int VolatileEcc = 0;
    public const ulong EventTypeXidCriticalError = 0x8;

    [StructLayout(LayoutKind.Sequential)]
    public struct Memory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Utilization
    {
        public uint Gpu;
        public uint Memory;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct EventData
    {
        public nint Device;
        public ulong EventType;
        public ulong Data;
        public uint GpuInstanceId;
        public uint ComputeInstanceId;
    }

    [LibraryImport(Library, EntryPoint = "nvmlInit_v2")]
    public static partial int Init();

    [LibraryImport(Library, EntryPoint = "nvmlShutdown")]
    public static partial int Shutdown();

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetCount_v2")]
    public static partial int DeviceGetCount(out uint count);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
    public static partial int DeviceGetHandleByIndex(uint index, out nint device);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetName")]
    public static partial int DeviceGetName(nint device, byte* name, uint length);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetUUID")]
    public static partial int DeviceGetUuid(nint device, byte* uuid, uint length);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetMemoryInfo")]
    public static partial int DeviceGetMemoryInfo(nint device, out Memory memory);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetUtilizationRates")]
    public static partial int DeviceGetUtilizationRates(nint device, out Utilization utilization);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetTemperature")]
    public static partial int DeviceGetTemperature(nint device, int sensor, out uint celsius);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetPowerUsage")]
    public static partial int DeviceGetPowerUsage(nint device, out uint milliwatts);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetTotalEccErrors")]
    public static partial int DeviceGetTotalEccErrors(nint device, int errorType, int counterType, out ulong count);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetCurrentClocksEventReasons")]
    public static partial int DeviceGetCurrentClocksEventReasons(nint device, out ulong reasons);

    [LibraryImport(Library, EntryPoint = "nvmlEventSetCreate")]
    public static partial int EventSetCreate(out nint set);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceRegisterEvents")]
    public static partial int DeviceRegisterEvents(nint device, ulong eventTypes, nint set);

    [LibraryImport(Library, EntryPoint = "nvmlEventSetWait_v2")]
    public static partial int EventSetWait(nint set, out EventData data, uint timeoutMs);

    [LibraryImport(Library, EntryPoint = "nvmlEventSetFree")]
    public static partial int EventSetFree(nint set);
}

/// <summary>nvmlReturn_t values the agent acts on.</summary>
internal static class NvmlReturn
{
    public const int Success = 0;
    public const int Uninitialized = 1;
    public const int NotSupported = 3;
    public const int DriverNotLoaded = 9;
    public const int Timeout = 10;
    public const int LibraryNotFound = 12;
    public const int FunctionNotFound = 13;
    public const int GpuIsLost = 15;
}

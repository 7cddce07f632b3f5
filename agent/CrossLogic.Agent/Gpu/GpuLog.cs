using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Gpu;

/// <summary>GPU log messages, event ids 3000-3099.</summary>
internal static partial class GpuLog
{
    [LoggerMessage(3000, LogLevel.Information, "No GPUs: {Reason}")]
    public static partial void NoNvml(ILogger logger, string reason);

    [LoggerMessage(3001, LogLevel.Information, "NVML sees {Count} GPUs: {Names}")]
    public static partial void Found(ILogger logger, int count, string names);

    [LoggerMessage(3002, LogLevel.Warning, "GPU {Index} reported XID {Xid} (fatal: {Fatal})")]
    public static partial void Xid(ILogger logger, int index, ulong xid, bool fatal);
}

using System.Text;
using CrossLogic.Agent.Link;
using CrossLogic.Contracts.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CrossLogic.Agent.Gpu;

/// <summary>
/// Reads GPU inventory, samples and XID events through NVML, classifies each GPU's health, and raises an event when it
/// changes. Without NVML or a GPU (a CPU box) it reports zero GPUs and never fails.
/// </summary>
internal sealed class GpuMonitor(OutboundEventQueue events, TimeProvider timeProvider, ILogger<GpuMonitor> logger) : BackgroundService
{
    private readonly Lock _lock = new();
    // One sampler at a time (the 1 s loop and the XID thread), so a health change is reported once.
    private readonly Lock _sampling = new();
    private readonly Dictionary<int, string> _fatalReason = [];
    private nint[] _handles = [];
    private IReadOnlyList<GpuDevice> _devices = [];
    private IReadOnlyList<GpuSample> _samples = [];
    private Thread? _xidThread;
    private volatile bool _stopping;

    public bool Available { get; private set; }

    /// <summary>Why NVML is not available, when it is not.</summary>
    public string Unavailable { get; private set; } = "";

    public int DeviceCount { get { lock (_lock) { return _devices.Count; } } }

    public IReadOnlyList<GpuDevice> Devices { get { lock (_lock) { return _devices; } } }

    public IReadOnlyList<GpuSample> Samples { get { lock (_lock) { return _samples; } } }

    /// <summary>Loads NVML and reads the inventory; safe to call without a GPU.</summary>
    public unsafe bool Initialize()
    {
        try
        {
            var result = NvmlNative.Init();
            if (result != NvmlReturn.Success)
            {
                Unavailable = $"nvmlInit failed ({result})";
                return false;
            }

            if (NvmlNative.DeviceGetCount(out var count) != NvmlReturn.Success)
            {
                Unavailable = "nvmlDeviceGetCount failed";
                return false;
            }

            var handles = new List<nint>();
            var devices = new List<GpuDevice>();
            for (uint i = 0; i < count; i++)
            {
                if (NvmlNative.DeviceGetHandleByIndex(i, out var handle) != NvmlReturn.Success)
                {
                    continue;
                }

                NvmlNative.DeviceGetMemoryInfo(handle, out var memory);
                handles.Add(handle);
                devices.Add(new GpuDevice
                {
                    Index = (int)i,
                    Name = ReadString(handle, NvmlNative.DeviceNameBufferSize, static (h, b, l) => NvmlNative.DeviceGetName(h, b, l)),
                    Uuid = ReadString(handle, NvmlNative.DeviceUuidBufferSize, static (h, b, l) => NvmlNative.DeviceGetUuid(h, b, l)),
                    MemoryTotalBytes = (long)memory.Total,
                });
            }

            lock (_lock)
            {
                _handles = [.. handles];
                _devices = devices;
            }

            Available = true;
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            Unavailable = $"{NvmlNative.Library} not loadable ({ex.Message.Split('\n')[0].TrimEnd(',', ' ')})";
            return false;
        }
    }

    /// <summary>Reads every GPU once and classifies it.</summary>
    public IReadOnlyList<GpuSample> Sample()
    {
        lock (_sampling)
        {
            return SampleAndReport();
        }
    }

    private List<GpuSample> SampleAndReport()
    {
        nint[] handles;
        lock (_lock)
        {
            handles = _handles;
        }

        var samples = new List<GpuSample>(handles.Length);
        for (var i = 0; i < handles.Length; i++)
        {
            samples.Add(SampleOne(i, handles[i]));
        }

        IReadOnlyList<GpuSample> previous;
        lock (_lock)
        {
            previous = _samples;
            _samples = samples;
        }

        foreach (var sample in samples)
        {
            var before = previous.FirstOrDefault(p => p.Index == sample.Index)?.Health.State ?? GpuHealth.Types.State.Healthy;
            if (sample.Health.State != before)
            {
                events.TryEnqueue(NodeEvent.Types.Kind.GpuHealthChanged, $"GPU {sample.Index} {sample.Health.State}: {string.Join("; ", sample.Health.Reasons)}", new Dictionary<string, string>
                {
                    ["gpu"] = sample.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["state"] = sample.Health.State.ToString(),
                    ["reasons"] = string.Join("; ", sample.Health.Reasons),
                });
            }
        }

        return samples;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Initialize())
        {
            GpuLog.NoNvml(logger, Unavailable);
            return;
        }

        GpuLog.Found(logger, DeviceCount, string.Join(", ", Devices.Select(d => d.Name)));
        _xidThread = new Thread(WatchXids) { IsBackground = true, Name = "nvml-xid" };
        _xidThread.Start();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), timeProvider);
        try
        {
            do
            {
                Sample();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        _xidThread?.Join(TimeSpan.FromSeconds(2));
        if (Available)
        {
            NvmlNative.Shutdown();
        }
    }

    private GpuSample SampleOne(int index, nint handle)
    {
        var reasons = new List<string>();
        var state = GpuHealth.Types.State.Healthy;
        var sample = new GpuSample { Index = index };
        if (NvmlNative.DeviceGetMemoryInfo(handle, out var memory) == NvmlReturn.GpuIsLost)
        {
            reasons.Add("GPU has fallen off the bus (NVML_ERROR_GPU_IS_LOST)");
            state = GpuHealth.Types.State.Failed;
        }
        else
        {
            sample.MemoryUsedBytes = (long)memory.Used;
            if (NvmlNative.DeviceGetUtilizationRates(handle, out var utilization) == NvmlReturn.Success)
            {
                sample.UtilizationPercent = (int)utilization.Gpu;
            }

            if (NvmlNative.DeviceGetTemperature(handle, NvmlNative.TemperatureGpu, out var celsius) == NvmlReturn.Success)
            {
                sample.TemperatureCelsius = (int)celsius;
            }

            if (NvmlNative.DeviceGetPowerUsage(handle, out var milliwatts) == NvmlReturn.Success)
            {
                sample.PowerMilliwatts = (int)milliwatts;
            }

            if (NvmlNative.DeviceGetTotalEccErrors(handle, NvmlNative.MemoryErrorUncorrected, NvmlNative.VolatileEcc, out var ecc) == NvmlReturn.Success)
            {
                sample.UncorrectedEccErrors = (long)ecc;
                if (ecc > 0)
                {
                    reasons.Add($"{ecc} uncorrectable ECC errors");
                    state = GpuHealth.Types.State.Failed;
                }
            }

            if (NvmlNative.DeviceGetCurrentClocksEventReasons(handle, out var clockReasons) == NvmlReturn.Success)
            {
                sample.ClockEventReasons = clockReasons;
                var slowdowns = ClockEventReasons.Degrading(clockReasons).ToList();
                if (slowdowns.Count > 0)
                {
                    reasons.AddRange(slowdowns);
                    state = state == GpuHealth.Types.State.Failed ? state : GpuHealth.Types.State.Degraded;
                }
            }
        }

        lock (_lock)
        {
            if (_fatalReason.TryGetValue(index, out var xid))
            {
                reasons.Insert(0, xid);
                state = GpuHealth.Types.State.Failed;
            }
        }

        sample.Health = new GpuHealth { State = state };
        sample.Health.Reasons.AddRange(reasons);
        return sample;
    }

    /// <summary>Blocks in nvmlEventSetWait on its own thread: XIDs arrive whenever the driver reports them.</summary>
    private void WatchXids()
    {
        nint[] handles;
        lock (_lock)
        {
            handles = _handles;
        }

        if (NvmlNative.EventSetCreate(out var set) != NvmlReturn.Success)
        {
            return;
        }

        try
        {
            foreach (var handle in handles)
            {
                NvmlNative.DeviceRegisterEvents(handle, NvmlNative.EventTypeXidCriticalError, set);
            }

            while (!_stopping)
            {
                var result = NvmlNative.EventSetWait(set, out var data, 500);
                if (result == NvmlReturn.Timeout)
                {
                    continue;
                }

                if (result != NvmlReturn.Success)
                {
                    Thread.Sleep(500);
                    continue;
                }

                if ((data.EventType & NvmlNative.EventTypeXidCriticalError) != 0)
                {
                    OnXid(Array.IndexOf(handles, data.Device), data.Data);
                }
            }
        }
        finally
        {
            NvmlNative.EventSetFree(set);
        }
    }

    private void OnXid(int index, ulong xid)
    {
        var fatal = XidCatalog.IsFatal(xid);
        var description = XidCatalog.Describe(xid);
        GpuLog.Xid(logger, index, xid, fatal);
        if (fatal)
        {
            lock (_lock)
            {
                _fatalReason[index] = description;
            }
        }

        events.TryEnqueue(NodeEvent.Types.Kind.GpuXid, $"GPU {index}: {description}", new Dictionary<string, string>
        {
            ["gpu"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["xid"] = xid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["fatal"] = fatal ? "true" : "false",
        });
        if (fatal)
        {
            Sample();
        }
    }

    private unsafe delegate int StringReader(nint handle, byte* buffer, uint length);

    private static unsafe string ReadString(nint handle, int size, StringReader read)
    {
        var buffer = stackalloc byte[size];
        if (read(handle, buffer, (uint)size) != NvmlReturn.Success)
        {
            return "";
        }

        var length = 0;
        while (length < size && buffer[length] != 0)
        {
            length++;
        }

        return Encoding.UTF8.GetString(buffer, length);
    }
}

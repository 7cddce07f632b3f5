using CrossLogic.Agent.Engine;
using CrossLogic.Agent.Gpu;
using CrossLogic.Contracts.V1;

namespace CrossLogic.Agent.Hosting;

/// <summary>What heartbeats and the probe report about the node right now: engine state and load, GPU samples.</summary>
internal sealed class NodeStatusReader(EngineMonitor engine, GpuMonitor gpus)
{
    public EngineStatus Engine() => engine.Snapshot();

    /// <summary>Completes when the engine's state next changes.</summary>
    public Task WhenEngineChanges() => engine.WhenStateChanges();

    public IReadOnlyList<GpuSample> GpuSamples() => gpus.Samples;

    public IReadOnlyList<GpuDevice> GpuDevices() => gpus.Devices;
}

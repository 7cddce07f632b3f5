namespace CrossLogic.Agent.Engine;

/// <summary>The node's engine spec (`Engine:*`): what `vllm serve` to run and how to supervise it.</summary>
internal sealed class EngineOptions
{
    /// <summary>Model path or name; no model means no engine on this node. With <see cref="ModelSource"/> it is only the
    /// served name (what clients ask for), and vLLM serves the staged local copy.</summary>
    public string? Model { get; set; }

    /// <summary>`s3://bucket/models/name/`: the model's files are staged from R2/S3 (the `Staging` section) into the
    /// local cache, verified, and only then is the engine started on that directory.</summary>
    public string? ModelSource { get; set; }

    /// <summary>The staged directory, once <see cref="ModelSource"/> is complete and verified (set at run time).</summary>
    internal string? LocalModelPath { get; set; }

    /// <summary>The engine executable: `vllm` on a GPU box, the mock engine elsewhere.</summary>
    public string Executable { get; set; } = "vllm";

    /// <summary>Arguments placed before `serve` (e.g. the mock engine's dll when the executable is `dotnet`).</summary>
    public List<string> ExecutablePrefixArgs { get; set; } = [];

    /// <summary>The model name clients ask for; defaults to the model.</summary>
    public string? ServedModelName { get; set; }

    /// <summary>Tensor-parallel size: the GPU count; 0 means the number of GPUs NVML sees (at least 1).</summary>
    public int TensorParallelSize { get; set; }

    /// <summary>vLLM's --gpu-memory-utilization.</summary>
    public double GpuMemoryUtilization { get; set; } = 0.90;

    /// <summary>vLLM's --max-model-len; 0 leaves it to vLLM.</summary>
    public int MaxModelLen { get; set; }

    /// <summary>Address the engine binds.</summary>
    public string Host { get; set; } = "0.0.0.0";

    /// <summary>The engine's HTTP port.</summary>
    public int Port { get; set; } = 8000;

    /// <summary>The engine API key (`--api-key`) the gateway presents; prefer <see cref="ApiKeyFile"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A file holding the engine API key.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>Further arguments passed to `vllm serve` as they are.</summary>
    public List<string> ExtraArgs { get; set; } = [];

    /// <summary>Environment variables for the engine process.</summary>
    public Dictionary<string, string> Environment { get; set; } = [];

    /// <summary>The engine's stdout/stderr log file; empty disables it.</summary>
    public string LogFile { get; set; } = "/var/log/crosslogic/engine.log";

    /// <summary>Size at which the log file is rotated to `.1`.</summary>
    public long LogMaxBytes { get; set; } = 64L << 20;

    /// <summary>First restart delay after an exit, in milliseconds (doubles up to <see cref="RestartMaxDelayMs"/>).</summary>
    public int RestartMinDelayMs { get; set; } = 1_000;

    /// <summary>Cap of the restart delay, in milliseconds.</summary>
    public int RestartMaxDelayMs { get; set; } = 60_000;

    /// <summary>This many exits within <see cref="CrashLoopWindowSeconds"/> is a crash loop: the node is Failed.</summary>
    public int CrashLoopExits { get; set; } = 5;

    /// <summary>The crash-loop window, in seconds.</summary>
    public int CrashLoopWindowSeconds { get; set; } = 600;

    /// <summary>Consecutive failed /health checks of a ready engine before it is killed and restarted.</summary>
    public int UnhealthyChecksBeforeRestart { get; set; } = 3;

    /// <summary>Default drain deadline, in seconds.</summary>
    public int DrainDeadlineSeconds { get; set; } = 120;

    /// <summary>Time between SIGTERM and SIGKILL, in seconds.</summary>
    public int StopGraceSeconds { get; set; } = 10;

    /// <summary>Drain deadline when the agent itself stops (systemd gives 30 s in all).</summary>
    public int ShutdownDrainSeconds { get; set; } = 10;

    /// <summary>How often /metrics is scraped and /health checked once ready, in milliseconds.</summary>
    public int ScrapeIntervalMs { get; set; } = 1_000;

    public bool Enabled => !string.IsNullOrWhiteSpace(Model);

    public string EffectiveServedModelName => string.IsNullOrWhiteSpace(ServedModelName) ? Model ?? "" : ServedModelName;

    /// <summary>What `vllm serve` loads: the staged directory when there is one, else <see cref="Model"/>.</summary>
    public string ModelToLoad => LocalModelPath ?? Model ?? "";
}

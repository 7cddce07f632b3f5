namespace CrossLogic.FakeSky.Task;

/// <summary>What a task YAML asks for, after the CLI's overrides.</summary>
internal sealed class TaskSpec
{
    public string? Name { get; set; }

    public int NumNodes { get; set; } = 1;

    public ResourcesSpec Resources { get; set; } = new();

    public OrderedDictionary<string, string?> Envs { get; } = [];

    public OrderedDictionary<string, string?> Secrets { get; } = [];

    public string? Setup { get; set; }

    public string? Run { get; set; }

    public string? Workdir { get; set; }

    public bool HasFileMounts { get; set; }
}

/// <summary>The `resources:` section.</summary>
internal sealed class ResourcesSpec
{
    public string? Infra { get; set; }

    public string? Cloud { get; set; }

    public string? Region { get; set; }

    public string? Zone { get; set; }

    /// <summary>Alternatives like "H100:8" (a set/list in YAML means "any one of these").</summary>
    public List<string> Accelerators { get; set; } = [];

    public string? InstanceType { get; set; }

    public bool UseSpot { get; set; }

    public int? DiskSize { get; set; }

    public string? DiskTier { get; set; }

    public List<int> Ports { get; set; } = [];
}

/// <summary>A task the CLI refuses: printed as "Type: message", exit 1.</summary>
internal sealed record TaskError(string Type, string Message);

using CrossLogic.Contracts;

namespace CrossLogic.Agent.Configuration;

/// <summary>Checks agent options and says, per key, what is wrong.</summary>
internal static class AgentOptionsValidator
{
    public static IReadOnlyList<ConfigError> Validate(AgentOptions options)
    {
        var errors = new List<ConfigError>();

        if (string.IsNullOrWhiteSpace(options.NodeId))
        {
            errors.Add(new("NodeId", "is required"));
        }
        else if (!NodeIdFormat.IsValid(options.NodeId))
        {
            errors.Add(new("NodeId", "must be " + NodeIdFormat.Description));
        }

        if (!Uri.TryCreate(options.ControlPlane.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add(new("ControlPlane:Url", "must be an absolute http:// or https:// URL"));
        }

        var hasToken = !string.IsNullOrWhiteSpace(options.ControlPlane.Token);
        var hasTokenFile = !string.IsNullOrWhiteSpace(options.ControlPlane.TokenFile);
        if (hasToken == hasTokenFile)
        {
            errors.Add(new("ControlPlane:Token", "set exactly one of ControlPlane:Token and ControlPlane:TokenFile"));
        }
        else if (hasTokenFile && !File.Exists(options.ControlPlane.TokenFile))
        {
            errors.Add(new("ControlPlane:TokenFile", $"file '{options.ControlPlane.TokenFile}' does not exist"));
        }

        if (!System.Net.IPAddress.TryParse(options.Probe.ListenAddress, out _))
        {
            errors.Add(new("Probe:ListenAddress", "must be an IP address such as 0.0.0.0 or 127.0.0.1"));
        }

        if (options.Probe.Port is < 0 or > 65535)
        {
            errors.Add(new("Probe:Port", "must be between 0 and 65535"));
        }

        if (options.Link.EventQueueCapacity is < 16 or > 1_000_000)
        {
            errors.Add(new("Link:EventQueueCapacity", "must be between 16 and 1000000"));
        }

        if (options.Link.ReconnectMinDelayMs < 10)
        {
            errors.Add(new("Link:ReconnectMinDelayMs", "must be at least 10"));
        }

        if (options.Link.ReconnectMaxDelayMs < options.Link.ReconnectMinDelayMs)
        {
            errors.Add(new("Link:ReconnectMaxDelayMs", "must not be less than Link:ReconnectMinDelayMs"));
        }

        if (options.Link.WelcomeTimeoutMs < 100)
        {
            errors.Add(new("Link:WelcomeTimeoutMs", "must be at least 100"));
        }

        if (options.Link.MissedAcksBeforeRedial < 1)
        {
            errors.Add(new("Link:MissedAcksBeforeRedial", "must be at least 1"));
        }

        ValidateEngine(options.Engine, errors);
        ValidatePreemption(options.Preemption, errors);
        if (options.Engine.ModelSource is { Length: > 0 } source)
        {
            if (!CrossLogic.Agent.Staging.S3ModelLocation.TryParse(source, out _, out var sourceError))
            {
                errors.Add(new("Engine:ModelSource", sourceError));
            }

            if (options.Engine.Model is not { Length: > 0 })
            {
                errors.Add(new("Engine:Model", "is required with Engine:ModelSource (the served model name)"));
            }

            foreach (var problem in options.Staging.Validate())
            {
                // "Staging:PartSizeBytes must be …": the key, then what is wrong.
                var space = problem.IndexOf(' ', StringComparison.Ordinal);
                errors.Add(space > 0 ? new(problem[..space], problem[(space + 1)..]) : new("Staging", problem));
            }
        }
        return errors;
    }

    private static void ValidatePreemption(Preemption.PreemptionOptions preemption, List<ConfigError> errors)
    {
        if (preemption.Cloud is not ("auto" or "aws" or "gcp" or "azure" or "none"))
        {
            errors.Add(new("Preemption:Cloud", "must be auto, aws, gcp, azure or none"));
        }

        foreach (var (key, url) in new[] { ("Preemption:AwsBaseUrl", preemption.AwsBaseUrl), ("Preemption:GcpBaseUrl", preemption.GcpBaseUrl), ("Preemption:AzureBaseUrl", preemption.AzureBaseUrl) })
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add(new(key, "must be an absolute http:// URL"));
            }
        }

        if (preemption.PollIntervalMs is < 50 or > 1000)
        {
            errors.Add(new("Preemption:PollIntervalMs", "must be between 50 and 1000 (a notice must arrive within 1.5 s)"));
        }

        if (preemption.RequestTimeoutMs is < 50 or > 30_000 || preemption.DetectTimeoutMs is < 50 or > 30_000)
        {
            errors.Add(new("Preemption:RequestTimeoutMs", "RequestTimeoutMs and DetectTimeoutMs must be between 50 and 30000"));
        }

        if (preemption.GcpWaitTimeoutSeconds is < 1 or > 3600 || preemption.SelfDrainAfterMs is < 0 or > 120_000
            || preemption.DeadlineMarginSeconds is < 0 or > 300 || preemption.DefaultNoticeSeconds is < 1 or > 3600)
        {
            errors.Add(new("Preemption", "GcpWaitTimeoutSeconds 1-3600, SelfDrainAfterMs 0-120000, DeadlineMarginSeconds 0-300, DefaultNoticeSeconds 1-3600"));
        }
    }

    private static void ValidateEngine(Engine.EngineOptions engine, List<ConfigError> errors)
    {
        if (!engine.Enabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(engine.Executable))
        {
            errors.Add(new("Engine:Executable", "is required when Engine:Model is set"));
        }

        if (engine.Port is < 1 or > 65535)
        {
            errors.Add(new("Engine:Port", "must be between 1 and 65535"));
        }

        if (engine.GpuMemoryUtilization is <= 0 or > 1)
        {
            errors.Add(new("Engine:GpuMemoryUtilization", "must be in (0, 1]"));
        }

        if (engine.TensorParallelSize is < 0 or > 64)
        {
            errors.Add(new("Engine:TensorParallelSize", "must be between 0 (all GPUs) and 64"));
        }

        if (engine.MaxModelLen < 0)
        {
            errors.Add(new("Engine:MaxModelLen", "must not be negative"));
        }

        if (!string.IsNullOrWhiteSpace(engine.ApiKeyFile) && !File.Exists(engine.ApiKeyFile))
        {
            errors.Add(new("Engine:ApiKeyFile", $"file '{engine.ApiKeyFile}' does not exist"));
        }

        if (engine.RestartMinDelayMs < 10 || engine.RestartMaxDelayMs < engine.RestartMinDelayMs)
        {
            errors.Add(new("Engine:RestartMinDelayMs", "must be at least 10 and not above Engine:RestartMaxDelayMs"));
        }

        if (engine.CrashLoopExits < 2 || engine.CrashLoopWindowSeconds < 1)
        {
            errors.Add(new("Engine:CrashLoopExits", "must be at least 2, with Engine:CrashLoopWindowSeconds at least 1"));
        }

        if (engine.UnhealthyChecksBeforeRestart < 1 || engine.ScrapeIntervalMs < 100)
        {
            errors.Add(new("Engine:ScrapeIntervalMs", "must be at least 100, with Engine:UnhealthyChecksBeforeRestart at least 1"));
        }

        if (engine.DrainDeadlineSeconds < 0 || engine.StopGraceSeconds < 0 || engine.ShutdownDrainSeconds < 0)
        {
            errors.Add(new("Engine:DrainDeadlineSeconds", "drain and stop times must not be negative"));
        }

        if (engine.LogMaxBytes < 4096)
        {
            errors.Add(new("Engine:LogMaxBytes", "must be at least 4096"));
        }
    }
}

/// <summary>One problem with one configuration key.</summary>
internal sealed record ConfigError(string Key, string Reason)
{
    public override string ToString() => $"{Key}: {Reason}";
}

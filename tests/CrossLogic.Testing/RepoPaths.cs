using System.Reflection;

namespace CrossLogic.Testing;

/// <summary>Where the repository's build outputs are, seen from a test assembly.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration the tests were built with, so the control plane of the same build runs.</summary>
    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "Configuration")?.Value ?? "Debug";

    /// <summary>The published Native-AOT agent (`./scripts/test` publishes it first), or CROSSLOGIC_AGENT_BINARY.</summary>
    public static string AgentBinary
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("CROSSLOGIC_AGENT_BINARY") is { Length: > 0 } configured
                ? configured
                : Path.Combine(Root, "artifacts", "agent", "crosslogic-agent");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"The published agent is missing at {path}. Run ./scripts/test, or: dotnet publish agent/CrossLogic.Agent -c Release -o artifacts/agent");
        }
    }

    public static string ControlPlaneDll
    {
        get
        {
            var path = Path.Combine(Root, "controlplane", "CrossLogic.ControlPlane", "bin", Configuration, "net10.0", "crosslogic-controlplane.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The control plane is not built at {path}: dotnet build -c {Configuration}");
        }
    }

    /// <summary>The vLLM stand-in, built with the tests.</summary>
    public static string MockEngineDll
    {
        get
        {
            var path = Path.Combine(Root, "tests", "CrossLogic.MockEngine", "bin", Configuration, "net10.0", "crosslogic-mock-engine.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The mock engine is not built at {path}: dotnet build -c {Configuration}");
        }
    }

    /// <summary>The SkyPilot CLI stand-in, built with the tests.</summary>
    public static string FakeSkyDll
    {
        get
        {
            var path = Path.Combine(Root, "tests", "CrossLogic.FakeSky", "bin", Configuration, "net10.0", "fake-sky.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"fake-sky is not built at {path}: dotnet build -c {Configuration}");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CrossLogic.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("CrossLogic.sln not found above " + AppContext.BaseDirectory);
    }
}

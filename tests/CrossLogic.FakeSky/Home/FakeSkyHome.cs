namespace CrossLogic.FakeSky.Home;

/// <summary>The fake's `~/.sky`: the folder named by FAKE_SKY_HOME and the files in it.</summary>
internal sealed class FakeSkyHome
{
    public const string Variable = "FAKE_SKY_HOME";

    private FakeSkyHome(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public string StatePath => Path.Combine(Root, "state.json");

    public string CallsLogPath => Path.Combine(Root, "calls.log");

    public string ConfigPath => Path.Combine(Root, "config.json");

    public string LockPath => Path.Combine(Root, ".lock");

    public string ClusterDirectory(string cluster) => Path.Combine(Root, "clusters", cluster);

    public static FakeSkyHome? FromEnvironment()
    {
        var root = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(root))
        {
            return null;
        }

        var full = Path.GetFullPath(root);
        Directory.CreateDirectory(full);
        return new FakeSkyHome(full);
    }
}

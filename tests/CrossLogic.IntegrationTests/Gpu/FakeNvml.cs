namespace CrossLogic.IntegrationTests.Gpu;

/// <summary>The fake libnvidia-ml.so.1 (tests/fake-nvml) and the script it answers from.</summary>
internal sealed class FakeNvml : IDisposable
{
    public const string HealthyH100 = "gpu index={0} name=NVIDIA_H100_80GB_HBM3 uuid=GPU-{0}-fake mem_total=85899345920 mem_used=1073741824 util=40 temp=55 power=300000 ecc=0 reasons=0";

    private readonly string _script = Path.Combine(Path.GetTempPath(), $"fake-nvml-{Guid.NewGuid():N}.txt");

    public FakeNvml(params string[] lines) => Write(lines);

    public static string LibraryDirectory => Path.Combine(AppContext.BaseDirectory, "fake-nvml");

    /// <summary>What the agent needs to load the fake instead of a real driver.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["LD_LIBRARY_PATH"] = LibraryDirectory,
        ["FAKE_NVML_SCRIPT"] = _script,
    };

    public static string Gpu(int index, string overrides = "") => string.Format(System.Globalization.CultureInfo.InvariantCulture, HealthyH100, index) + " " + overrides;

    public void Write(params string[] lines) => File.WriteAllLines(_script, lines);

    public void Append(string line) => File.AppendAllLines(_script, [line]);

    public void Dispose() => File.Delete(_script);
}

using System.Globalization;
using CrossLogic.FakeSky.Boot;
using CrossLogic.FakeSky.Cli;
using CrossLogic.FakeSky.Home;
using CrossLogic.FakeSky.Provision;
using CrossLogic.FakeSky.Task;

namespace CrossLogic.FakeSky.Commands;

/// <summary>Test-only commands that play the cloud: preempt a cluster, or add one nobody launched through the control plane.</summary>
internal sealed class FakeCommands(Invocation run)
{
    /// <summary>`sky fake-preempt NAME [--vanish]`: the boot group is SIGKILLed now; `sky status -r` then shows STOPPED (or nothing).</summary>
    public int Preempt(IReadOnlyList<string> args)
    {
        var parsed = ClickParser.Parse(args, [OptionSpec.Flag("vanish", "--vanish")], out var usageError);
        if (usageError is not null || parsed.Arguments.Count != 1)
        {
            return SkyConsole.UsageError("fake-preempt", usageError ?? "Expected exactly one cluster name.");
        }

        var name = parsed.Arguments[0];
        var vanish = parsed.Flag("vanish");
        var boot = run.State.Update(state =>
        {
            var record = state.Find(name);
            if (record is null)
            {
                return ((int?, long?)?)null;
            }

            var boot = (record.BootPid, record.BootStartTime);
            record.CloudChange = vanish ? StatusRefresh.Vanished : StatusRefresh.Stopped;
            record.BootPid = null;
            record.BootStartTime = null;
            return boot;
        });
        if (boot is null)
        {
            return SkyConsole.Exception("sky.exceptions.ClusterDoesNotExist", $"Cluster '{name}' does not exist.");
        }

        ProcessGroup.Kill(boot.Value.Item1, boot.Value.Item2);
        Console.Out.WriteLine(vanish ? $"Preempted cluster {name}: terminated by the cloud." : $"Preempted cluster {name}: stopped by the cloud.");
        return 0;
    }

    /// <summary>`sky fake-add NAME --infra aws/us-east-1 [--use-spot] [--gpus H100:1] [--age-seconds N]`: an UP cluster with no boot process.</summary>
    public int Add(IReadOnlyList<string> args)
    {
        OptionSpec[] options =
        [
            OptionSpec.Value("infra", "--infra"),
            OptionSpec.Flag("use_spot", "--use-spot"),
            OptionSpec.Value("gpus", "--gpus"),
            OptionSpec.Value("age_seconds", "--age-seconds"),
        ];
        var parsed = ClickParser.Parse(args, options, out var usageError);
        if (usageError is not null || parsed.Arguments.Count != 1)
        {
            return SkyConsole.UsageError("fake-add", usageError ?? "Expected exactly one cluster name.");
        }

        var age = 0L;
        if (parsed.Get("age_seconds") is { } ageText && !long.TryParse(ageText, NumberStyles.Integer, CultureInfo.InvariantCulture, out age))
        {
            return SkyConsole.UsageError("fake-add", $"Invalid value for '--age-seconds': '{ageText}' is not a valid integer.");
        }

        var placement = InfraResolver.Resolve(parsed.Get("infra"), null, null, null, out var infraError);
        if (placement is null)
        {
            return SkyConsole.Exception("ValueError", infraError!);
        }

        var name = parsed.Arguments[0];
        var spot = parsed.Flag("use_spot");
        var accelerators = parsed.Get("gpus") is { } gpus ? TaskYamlReader.AcceleratorChoices(new YamlScalar(gpus, Plain: true)) : [];
        var offering = Catalog.Choose(placement.Cloud, accelerators, null, spot);
        var launchedAt = run.NowSeconds - age;
        var added = run.State.Update(state =>
        {
            if (state.Find(name) is not null)
            {
                return false;
            }

            state.Clusters.Add(new ClusterRecord
            {
                Name = name,
                Status = ClusterStatus.Up,
                Cloud = placement.Cloud,
                Region = placement.Region,
                Zone = placement.Zone,
                LaunchedAt = launchedAt,
                StatusUpdatedAt = launchedAt,
                ClusterEverUp = true,
                UseSpot = spot,
                Accelerators = offering.Accelerators,
                InstanceType = offering.InstanceType,
                Cpus = offering.Vcpus.ToString(CultureInfo.InvariantCulture),
                Memory = offering.MemoryGb.ToString(CultureInfo.InvariantCulture),
                HourlyPrice = offering.HourlyCost(spot),
                LaunchCommand = $"sky launch -c {name} -y",
                LastEvent = "Cluster is UP.",
                ClusterHash = Guid.NewGuid().ToString(),
            });
            return true;
        });
        if (!added)
        {
            return SkyConsole.Exception("ValueError", $"Cluster '{name}' already exists.");
        }

        Console.Out.WriteLine($"Added cluster {name} (UP) on {placement.Path}.");
        return 0;
    }
}

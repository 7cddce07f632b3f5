using CrossLogic.FakeSky.Boot;
using CrossLogic.FakeSky.Cli;
using CrossLogic.FakeSky.Home;
using CrossLogic.FakeSky.Provision;

namespace CrossLogic.FakeSky.Commands;

/// <summary>
/// `sky down`: unknown names are dropped silently, teardown stops the boot process group, and a failed teardown
/// (down_failure rule) still exits 0, as SkyPilot does.
/// </summary>
internal sealed class DownCommand(Invocation run)
{
    private static readonly OptionSpec[] Options =
    [
        OptionSpec.Flag("all", "-a", "--all"),
        OptionSpec.Flag("all_users", "-u", "--all-users"),
        OptionSpec.Flag("yes", "-y", "--yes"),
        OptionSpec.Flag("purge", "-p", "--purge"),
        OptionSpec.Flag("async", "--async"),
        OptionSpec.Negated("async", "--no-async"),
    ];

    public int Execute(IReadOnlyList<string> args)
    {
        var parsed = ClickParser.Parse(args, Options, out var usageError);
        if (usageError is not null)
        {
            return SkyConsole.UsageError("down", usageError);
        }

        var names = parsed.Arguments;
        var all = parsed.Flag("all") || parsed.Flag("all_users");
        if (names.Count == 0 && !all)
        {
            return SkyConsole.UsageError("down",
                "`sky down` requires either a cluster name or glob (see `sky status`), or the -a/--all flag for all your clusters, or the -u/--all-users flag for all clusters in your team.");
        }

        var targets = run.State.Read().Clusters
            .Where(c => all || names.Any(n => StatusCommand.Glob(n).IsMatch(c.Name)))
            .Select(c => c.Name)
            .ToList();
        if (targets.Count == 0)
        {
            Console.Out.WriteLine("Cluster(s) not found (tip: see `sky status`).");
            return 0;
        }

        if (!parsed.Flag("yes"))
        {
            var plural = targets.Count == 1 ? "" : "s";
            return SkyConsole.AbortedPrompt($"Terminating {targets.Count} cluster{plural}: {string.Join(", ", targets)}. Proceed?");
        }

        var failed = false;
        foreach (var name in targets)
        {
            failed |= !TearDown(name, parsed.Flag("purge"));
        }

        if (failed)
        {
            Console.Out.WriteLine(
                "Cluster(s) failed. See details above. If you want to ignore the errors and remove the cluster(s) from the status table, use `sky down --purge`.");
        }

        return 0;
    }

    private bool TearDown(string name, bool purge)
    {
        var (record, fault) = run.State.Update(state =>
        {
            var record = state.Find(name);
            var fault = record is null
                ? null
                : FaultRules.Fire(run.Config, state, ClusterView.PlacementOf(record), record.UseSpot, k => k == FaultKind.DownFailure);
            return (record, fault);
        });
        if (record is null)
        {
            // Someone else tore it down meanwhile.
            Console.Out.WriteLine($"Terminating cluster {name}...done.");
            return true;
        }

        if (fault is not null && !purge)
        {
            Console.Out.WriteLine($"Terminating cluster {name}...failed. Reason: {ProvisionErrors.DownReason(ClusterView.PlacementOf(record), record.InstanceType)}");
            return false;
        }

        // The VM goes away with everything on it: outside the lock, the boot group gets SIGTERM, then SIGKILL.
        ProcessGroup.Terminate(record.BootPid, record.BootStartTime);
        Invocation.Sleep(run.Config.DownDelayMs);
        run.State.Update(state => state.Clusters.RemoveAll(c => c.Name == name && c.ClusterHash == record.ClusterHash));
        Console.Out.WriteLine($"Terminating cluster {name}...done.");
        return true;
    }
}

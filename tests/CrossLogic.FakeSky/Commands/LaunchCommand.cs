using System.Text.RegularExpressions;
using CrossLogic.FakeSky.Boot;
using CrossLogic.FakeSky.Cli;
using CrossLogic.FakeSky.Home;
using CrossLogic.FakeSky.Provision;
using CrossLogic.FakeSky.Task;

namespace CrossLogic.FakeSky.Commands;

/// <summary>
/// `sky launch`: validate the task, then either run the job on an UP cluster or provision one (INIT for
/// launch_delay_ms, then UP with loopback ports and the boot command). Fault rules make provisioning fail.
/// </summary>
internal sealed partial class LaunchCommand(Invocation run)
{
    private static readonly TimeSpan WaitForOtherLauncher = TimeSpan.FromMinutes(10);
    private readonly int _me = Environment.ProcessId;
    private readonly long? _myStart = Posix.StartTime(Environment.ProcessId);

    public int Execute(IReadOnlyList<string> args)
    {
        var request = LaunchRequest.Parse(args, out var usageError);
        if (request is null)
        {
            return SkyConsole.UsageError("launch", usageError!);
        }

        var task = ReadTask(request, out var taskError);
        if (task is null)
        {
            return SkyConsole.Exception(taskError!.Type, taskError.Message);
        }

        var cluster = request.Cluster ?? $"sky-{Guid.NewGuid().ToString("N")[..4]}-{Invocation.UserName}";
        if (!ClusterName().IsMatch(cluster))
        {
            return SkyConsole.Exception("sky.exceptions.InvalidClusterNameError",
                $"Cluster name '{cluster}' is invalid; ensure it is fully matched by regex (e.g., only contains lower letters, numbers and dash): [a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?");
        }

        var plan = LaunchPlan.Create(cluster, task, request, out var planError);
        if (plan is null)
        {
            return SkyConsole.Exception(planError!.Value.Type, planError.Value.Message);
        }

        var existing = Observe(cluster);
        var isNew = existing is null;
        if (!request.Yes)
        {
            if (isNew)
            {
                // SkyPilot shows the optimizer's choice before asking about a new cluster.
                return PreProvisionFault(plan) ?? ShowPlanThenAbort(plan);
            }

            if (existing!.Status == ClusterStatus.Stopped)
            {
                return SkyConsole.AbortedPrompt($"Restarting the stopped cluster '{cluster}'. Proceed?");
            }
        }

        Console.Out.WriteLine($"Running task on cluster {cluster}...");
        if (isNew)
        {
            if (PreProvisionFault(plan) is { } failed)
            {
                return failed;
            }

            LaunchOutput.ConsideredResources(plan);
        }

        return existing?.Status == ClusterStatus.Up ? RunOnExisting(plan) : Provision(plan, wasStopped: existing?.Status == ClusterStatus.Stopped, request.RetryUntilUp);
    }

    private TaskSpec? ReadTask(LaunchRequest request, out TaskError? error)
    {
        var entrypoint = request.Args.Arguments;
        TaskSpec? task;
        if (entrypoint.Count == 1 && (File.Exists(entrypoint[0]) || entrypoint[0].EndsWith(".yaml", StringComparison.Ordinal) || entrypoint[0].EndsWith(".yml", StringComparison.Ordinal)))
        {
            if (!File.Exists(entrypoint[0]))
            {
                error = new TaskError("FileNotFoundError", $"[Errno 2] No such file or directory: '{entrypoint[0]}'");
                return null;
            }

            run.TaskYaml = File.ReadAllText(entrypoint[0]);
            task = TaskYamlReader.Read(run.TaskYaml, entrypoint[0], request.Envs, request.Secrets, out error);
        }
        else
        {
            // An inline command (`sky launch -c c1 'nvidia-smi'`) or no entrypoint at all (provision only).
            task = TaskYamlReader.Read("", "<cli>", request.Envs, request.Secrets, out error);
            if (task is not null && entrypoint.Count > 0)
            {
                task.Run = string.Join(' ', entrypoint);
            }
        }

        if (task is not null)
        {
            task.Name = request.Args.Get("name") ?? task.Name;
            task.Workdir = request.Args.Get("workdir") ?? task.Workdir;
        }

        return task;
    }

    private static int ShowPlanThenAbort(LaunchPlan plan)
    {
        LaunchOutput.ConsideredResources(plan);
        return SkyConsole.AbortedPrompt($"Launching a new cluster '{plan.Cluster}'. Proceed?");
    }

    /// <summary>The cluster as a launch sees it (a launch refreshes its own cluster); waits while another live process provisions it.</summary>
    private ClusterRecord? Observe(string cluster)
    {
        var deadline = DateTime.UtcNow + WaitForOtherLauncher;
        while (true)
        {
            var (record, busy) = run.State.Update(state =>
            {
                var record = state.Find(cluster);
                if (record is not null)
                {
                    StatusRefresh.Apply(state, record, run.NowSeconds);
                    record = state.Find(cluster);
                }

                var busy = record is { Status: ClusterStatus.Init, LaunchPid: { } pid } && pid != _me && Posix.IsSameProcess(pid, record.LaunchStartTime);
                return (record, busy);
            });
            if (!busy || DateTime.UtcNow > deadline)
            {
                return record;
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>auth and catalog rules fail before anything is provisioned (identity check, optimizer).</summary>
    private int? PreProvisionFault(LaunchPlan plan)
    {
        var fault = run.State.Update(state => FaultRules.Fire(run.Config, state, plan.Placement, plan.UseSpot, k => k is FaultKind.Auth or FaultKind.Catalog));
        return fault?.Error switch
        {
            FaultKind.Auth => SkyConsole.Exception(ProvisionErrors.CloudUserIdentity, ProvisionErrors.Auth(plan.Placement)),
            FaultKind.Catalog => SkyConsole.Exception(ProvisionErrors.ResourcesUnavailable, ProvisionErrors.Catalog(plan.Nodes, plan.Placement, plan.AcceleratorChoices, plan.UseSpot)),
            _ => null,
        };
    }

    private int Provision(LaunchPlan plan, bool wasStopped, bool retryUntilUp)
    {
        var logDirectory = run.LogDirectory;
        var claim = run.State.Update(state =>
        {
            var record = state.Find(plan.Cluster);
            if (record is { Status: ClusterStatus.Up })
            {
                return Claim.AlreadyUp;
            }

            if (record is { Status: ClusterStatus.Init, LaunchPid: { } other } && other != _me && Posix.IsSameProcess(other, record.LaunchStartTime))
            {
                return Claim.Busy;
            }

            if (record is null)
            {
                record = NewRecord(plan);
                state.Clusters.Add(record);
            }

            record.Status = ClusterStatus.Init;
            record.LaunchPid = _me;
            record.LaunchStartTime = _myStart;
            record.StatusUpdatedAt = run.NowSeconds;
            record.LastEvent = "Launching cluster.";
            return Claim.Claimed;
        });
        if (claim == Claim.Busy)
        {
            // Another `sky launch` of the same name got there first: wait for it, as SkyPilot's cluster lock does.
            var settled = Observe(plan.Cluster);
            return settled?.Status == ClusterStatus.Up
                ? RunOnExisting(plan)
                : Provision(plan, settled?.Status == ClusterStatus.Stopped, retryUntilUp);
        }

        if (claim == Claim.AlreadyUp)
        {
            return RunOnExisting(plan);
        }

        LaunchOutput.LaunchingOn(plan);
        while (true)
        {
            Invocation.Sleep(run.Config.LaunchDelayMs);
            var fault = run.State.Update(state => FaultRules.Fire(run.Config, state, plan.Placement, plan.UseSpot, k => k is FaultKind.NoCapacity or FaultKind.Quota));
            if (fault is null)
            {
                break;
            }

            var reason = fault.Error == FaultKind.Quota
                ? ProvisionErrors.QuotaReason(plan.Placement, plan.Offering)
                : ProvisionErrors.NoCapacityReason(plan.Placement, plan.Offering, plan.UseSpot);
            if (retryUntilUp)
            {
                Console.Out.WriteLine($"Failed to provision {plan.Repr}: {reason}");
                Console.Out.WriteLine("Retrying provisioning (--retry-until-up)...");
                continue;
            }

            Release(plan.Cluster, wasStopped);
            Console.Out.WriteLine(ProvisionErrors.FailedLine(logDirectory));
            return SkyConsole.Exception(ProvisionErrors.ResourcesUnavailable, ProvisionErrors.AllCandidatesFailed(plan.Nodes, plan.Repr, reason));
        }

        var jobId = run.State.Update(state =>
        {
            var record = state.Find(plan.Cluster);
            if (record is null || record.LaunchPid != _me)
            {
                return (int?)null;
            }

            record.Status = ClusterStatus.Up;
            record.ClusterEverUp = true;
            record.LaunchPid = null;
            record.LaunchStartTime = null;
            record.LaunchedAt = record.StatusUpdatedAt = run.NowSeconds;
            record.LastEvent = "Cluster is UP.";
            record.Ports = [.. plan.Ports];
            record.PortMap = [];
            MapPorts(state, record, plan.Ports);
            SubmitJob(record, plan, logDirectory, restartBoot: true);
            return record.JobCount;
        });
        if (jobId is null)
        {
            // Torn down (sky down) while it was provisioning.
            Console.Out.WriteLine(ProvisionErrors.FailedLine(logDirectory));
            return SkyConsole.Exception("sky.exceptions.ClusterDoesNotExist", $"Cluster '{plan.Cluster}' does not exist.");
        }

        LaunchOutput.InstanceUp(plan.Cluster, logDirectory);
        LaunchOutput.JobSubmitted(plan.Cluster, jobId.Value, SyncsFiles(plan));
        return 0;
    }

    /// <summary>An UP cluster is not reprovisioned: the job runs again, the boot command only if it is no longer running.</summary>
    private int RunOnExisting(LaunchPlan plan)
    {
        var logDirectory = run.LogDirectory;
        var jobId = run.State.Update(state =>
        {
            var record = state.Find(plan.Cluster);
            if (record is not { Status: ClusterStatus.Up })
            {
                return (int?)null;
            }

            var added = plan.Ports.Where(p => !record.Ports.Contains(p)).ToList();
            record.Ports.AddRange(added);
            MapPorts(state, record, added);
            SubmitJob(record, plan, logDirectory, restartBoot: false);
            return record.JobCount;
        });
        if (jobId is null)
        {
            return SkyConsole.Exception("sky.exceptions.ClusterNotUpError", $"Cluster '{plan.Cluster}' is not up.");
        }

        LaunchOutput.JobSubmitted(plan.Cluster, jobId.Value, SyncsFiles(plan));
        return 0;
    }

    /// <summary>A failed provisioning leaves no new cluster behind; a restart that failed stays STOPPED.</summary>
    private void Release(string cluster, bool wasStopped) => run.State.Update(state =>
    {
        var record = state.Find(cluster);
        if (record is null || record.LaunchPid != _me)
        {
            return false;
        }

        if (wasStopped)
        {
            record.Status = ClusterStatus.Stopped;
            record.LaunchPid = null;
            record.LaunchStartTime = null;
            record.StatusUpdatedAt = run.NowSeconds;
        }
        else
        {
            state.Clusters.Remove(record);
        }

        return true;
    });

    private void SubmitJob(ClusterRecord record, LaunchPlan plan, string logDirectory, bool restartBoot)
    {
        record.JobCount++;
        record.Envs = plan.Task.Envs.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!);
        record.Setup = plan.Task.Setup;
        record.Run = plan.Task.Run;
        record.LastUse = run.CommandLine;
        if (plan.Autostop is { } autostop)
        {
            record.Autostop = autostop;
            record.ToDown = plan.ToDown;
        }

        if (run.Config.BootCommand is not { Length: > 0 } command || (!restartBoot && BootProcess.IsRunning(record)))
        {
            return;
        }

        var secrets = plan.Task.Secrets.Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value!);
        var environment = BootEnvironment.For(record, secrets, $"{logDirectory}_{record.Name}_{record.JobCount}");
        var boot = BootProcess.Start(command, run.Home.ClusterDirectory(record.Name), environment);
        record.BootPid = boot.Pid;
        record.BootStartTime = boot.StartTime;
    }

    private static void MapPorts(FakeState state, ClusterRecord record, IEnumerable<int> ports)
    {
        var taken = state.Clusters.SelectMany(c => c.PortMap.Values).ToHashSet();
        foreach (var port in ports)
        {
            record.PortMap[port] = LoopbackPorts.Allocate(taken);
        }
    }

    private ClusterRecord NewRecord(LaunchPlan plan) => new()
    {
        Name = plan.Cluster,
        Cloud = plan.Placement.Cloud,
        Region = plan.Placement.Region,
        Zone = plan.Placement.Zone,
        LaunchedAt = run.NowSeconds,
        UseSpot = plan.UseSpot,
        Accelerators = plan.Offering.Accelerators,
        InstanceType = plan.Offering.InstanceType,
        Cpus = plan.Offering.Vcpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Memory = plan.Offering.MemoryGb.ToString(System.Globalization.CultureInfo.InvariantCulture),
        HourlyPrice = plan.Offering.HourlyCost(plan.UseSpot) * plan.Nodes,
        DiskSize = plan.DiskSize,
        DiskTier = plan.DiskTier,
        Nodes = plan.Nodes,
        Autostop = plan.Autostop ?? -1,
        ToDown = plan.ToDown,
        LaunchCommand = run.CommandLine,
        TaskYaml = run.TaskYaml,
        ClusterHash = Guid.NewGuid().ToString(),
    };

    private static bool SyncsFiles(LaunchPlan plan) => plan.Task.Workdir is not null || plan.Task.HasFileMounts;

    private enum Claim
    {
        Claimed,
        AlreadyUp,
        Busy,
    }

    [GeneratedRegex("^[a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$")]
    private static partial Regex ClusterName();
}

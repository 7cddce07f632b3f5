using CrossLogic.Cli.Invocation;
using CrossLogic.Cli.Output;
using CrossLogic.Contracts.V1;
using Grpc.Core;
using Spectre.Console;

namespace CrossLogic.Cli.Deployments;

/// <summary>
/// `--wait`: polls the deployment and its events every 500 ms until it is where the command wants it, showing the
/// replica counts and each new event as it happens. Progress goes to stdout, or to stderr with `-o json` so stdout
/// holds only the JSON document.
/// </summary>
internal sealed class DeploymentWaiter(CommandContext context, TimeProvider timeProvider)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private const int EventPageSize = 100;

    /// <summary>Ready: every desired replica serving, none on its way. A deployment with no replicas is ready at once.</summary>
    public static bool IsReady(Deployment? deployment) =>
        deployment is { State: Deployment.Types.State.Active } d && d.ReadyReplicas == d.Replicas && d.PendingReplicas == 0;

    public static bool IsGone(Deployment? deployment) => deployment is null;

    /// <summary>The newest event's id, so a wait shows what happens from now on; 0 when there is none (or no deployment).</summary>
    public async Task<long> LatestEventIdAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var page = await context.Fleet.ListDeploymentEventsAsync(new ListDeploymentEventsRequest { Parent = name, PageSize = 1 }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return page.Events.Count > 0 ? page.Events[0].Id : 0;
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.NotFound)
        {
            return 0;
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds for the deployment (null once it is gone); returns it then.</summary>
    /// <exception cref="CliException">Exit 7 when <paramref name="timeout"/> passes first.</exception>
    public async Task<Deployment?> WaitAsync(string name, long afterEventId, Func<Deployment?, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var console = context.Json ? context.Terminal.Error : context.Terminal.Out;
        var interactive = context.Json ? context.Terminal.ErrorIsInteractive : context.Terminal.OutIsInteractive;
        if (!interactive)
        {
            return await PollAsync(name, afterEventId, done, timeout, new PlainWaitProgress(context.Json ? Console.Error : Console.Out), cancellationToken).ConfigureAwait(false);
        }

        return await console.Status().StartAsync(
            $"waiting for {ResourceNames.Id(name)}",
            status => PollAsync(name, afterEventId, done, timeout, new LiveWaitProgress(console, status), cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>`ready 1/2, pending 1`, with the state when it is not ACTIVE.</summary>
    public static string Describe(Deployment? deployment) =>
        deployment is null ? "gone"
        : $"ready {deployment.ReadyReplicas}/{deployment.Replicas}, pending {deployment.PendingReplicas}"
          + (deployment.State == Deployment.Types.State.Active ? "" : $" ({Formats.EnumName(deployment.State)})");

    private async Task<Deployment?> PollAsync(
        string name, long afterEventId, Func<Deployment?, bool> done, TimeSpan timeout, WaitProgress progress, CancellationToken cancellationToken)
    {
        var deadline = timeProvider.GetUtcNow() + timeout;
        var lastEventId = afterEventId;
        while (true)
        {
            var deployment = await GetAsync(name, cancellationToken).ConfigureAwait(false);
            if (deployment is not null)
            {
                lastEventId = await ShowEventsAsync(name, lastEventId, progress, cancellationToken).ConfigureAwait(false);
            }

            progress.Status(Describe(deployment));
            if (done(deployment))
            {
                return deployment;
            }

            if (timeProvider.GetUtcNow() >= deadline)
            {
                var id = ResourceNames.Id(name);
                throw new CliException(
                    ExitCodes.WaitTimedOut,
                    $"timed out after {Formats.Duration(timeout)} waiting for deployment {id} ({Describe(deployment)})",
                    $"the control plane keeps working on it: watch with 'clctl deployments get {id}' or 'clctl events --follow --deployment {id}'");
            }

            await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Deployment?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await context.Fleet.GetDeploymentAsync(new GetDeploymentRequest { Name = name }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<long> ShowEventsAsync(string name, long afterEventId, WaitProgress progress, CancellationToken cancellationToken)
    {
        ListDeploymentEventsResponse page;
        try
        {
            page = await context.Fleet.ListDeploymentEventsAsync(new ListDeploymentEventsRequest { Parent = name, PageSize = EventPageSize }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.NotFound)
        {
            return afterEventId;
        }

        foreach (var record in page.Events.Where(e => e.Id > afterEventId).OrderBy(e => e.Id))
        {
            progress.Event($"  {Formats.Time(record.Time)}  {record.Kind}  {record.Reason}");
            afterEventId = record.Id;
        }

        return afterEventId;
    }
}

using System.Text;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.Extensions.Options;

namespace CrossLogic.ControlPlane.Fleet.Provisioning.SkyPilot;

/// <summary>Runs one `sky` command with CliWrap: never through a shell, secrets only in its environment, a timeout that
/// kills it, and its whole output kept for parsing and error classification.</summary>
internal sealed class SkyCli(IOptions<SkyPilotOptions> options, ILogger<SkyCli> logger)
{
    public sealed record Result(int ExitCode, string Output, string StandardOutput);

    public async Task<Result> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? secrets, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var o = options.Value;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var environment = new Dictionary<string, string?>(o.Environment.ToDictionary(e => e.Key, e => (string?)e.Value));
        foreach (var (key, value) in secrets ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        FleetLog.SkyCommand(logger, string.Join(' ', arguments));
        try
        {
            var result = await Cli.Wrap(o.Executable)
                .WithArguments([.. o.PrefixArgs, .. arguments])
                .WithEnvironmentVariables(environment)
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(Encoding.UTF8, timeoutSource.Token)
                .ConfigureAwait(false);
            return new Result(result.ExitCode, result.StandardOutput + "\n" + result.StandardError, result.StandardOutput);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProvisionException(ProvisionFailure.Transient, $"sky {arguments[0]} did not finish within {timeout.TotalSeconds:0} s");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ProvisionException(ProvisionFailure.Invalid, $"cannot run '{o.Executable}' (Provisioners:SkyPilot:Executable): {ex.Message}", ex);
        }
    }
}

using System.CommandLine;
using Grpc.Core;

namespace CrossLogic.Cli.Invocation;

/// <summary>Runs a command's action and turns every failure into `clctl: …` on stderr and its exit code.</summary>
internal static class CommandRunner
{
    public static void SetRunner(this Command command, GlobalOptions options, Func<CommandContext, CancellationToken, Task> run) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CommandContext(parse, options);
            try
            {
                await run(context, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (CliException error)
            {
                return Report(error);
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                return Report(new CliException(ExitCodes.Failed, "interrupted"));
            }
            catch (RpcException error)
            {
                return Report(RpcErrors.Translate(error, context.Settings));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Report(new CliException(ExitCodes.Failed, "interrupted"));
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                return Report(new CliException(ExitCodes.Failed, $"unexpected {error.GetType().Name}: {error.Message}", "this is a bug in clctl or an answer it did not expect; please report it"));
            }
        });

    /// <summary>Writes the error and its hint to stderr; returns the exit code.</summary>
    public static int Report(CliException error)
    {
        Console.Out.Flush();
        Console.Error.WriteLine("clctl: " + error.Message);
        if (error.Hint is { Length: > 0 } hint)
        {
            Console.Error.WriteLine(hint);
        }

        return error.ExitCode;
    }
}

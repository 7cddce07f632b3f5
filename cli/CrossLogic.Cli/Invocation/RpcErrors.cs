using System.Net.Sockets;
using Grpc.Core;

namespace CrossLogic.Cli.Invocation;

/// <summary>Turns a gRPC status into what the operator reads and the exit code a script sees.</summary>
internal static class RpcErrors
{
    public static CliException Translate(RpcException error, ConnectionSettings settings)
    {
        var detail = error.Status.Detail;
        return error.StatusCode switch
        {
            StatusCode.Unavailable => new CliException(
                ExitCodes.Unreachable,
                $"cannot reach the control plane at {Address(settings)} ({UnavailableReason(error)})",
                $"is it running? set --server, CLCTL_SERVER or \"server\" in {settings.ConfigPath}",
                error),
            StatusCode.DeadlineExceeded => new CliException(
                ExitCodes.Unreachable,
                $"cannot reach the control plane at {Address(settings)} (no answer in time{(detail.Length > 0 ? ": " + detail : "")})",
                $"is it running and reachable? set --server, CLCTL_SERVER or \"server\" in {settings.ConfigPath}",
                error),
            StatusCode.NotFound => new CliException(
                ExitCodes.NotFound,
                detail.Length > 0 ? detail : "not found",
                NotFoundHint(detail),
                error),
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.AlreadyExists or StatusCode.OutOfRange => new CliException(
                ExitCodes.Refused,
                $"the control plane refused the request: {detail}",
                error.StatusCode switch
                {
                    StatusCode.AlreadyExists => "pick another name, or change the existing one",
                    StatusCode.FailedPrecondition => "the reason above says what has to change first",
                    _ => "fix the value named above and try again",
                },
                error),
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => new CliException(
                ExitCodes.Unauthenticated,
                settings.Token is null
                    ? $"no token was sent and the control plane requires one ({detail})"
                    : $"the control plane refused the token ({detail})",
                $"set --token, CLCTL_TOKEN (or CL_ADMIN_TOKEN) or \"token\" in {settings.ConfigPath} to the control plane's Auth:AdminToken",
                error),
            _ => new CliException(
                ExitCodes.Failed,
                $"the control plane answered {error.StatusCode}: {detail}",
                "retry; if it persists, check the control plane's log",
                error),
        };
    }

    private static string NotFoundHint(string detail) =>
        detail.StartsWith("node", StringComparison.Ordinal) ? "list the nodes with 'clctl nodes list --all'"
        : detail.StartsWith("deployment", StringComparison.Ordinal) ? "list the deployments with 'clctl deployments list'"
        : detail.StartsWith("api key", StringComparison.Ordinal) ? "list the tenant's keys with 'clctl keys list --tenant TENANT'"
        : "check the name; the list commands show what exists";

    private static string Address(ConnectionSettings settings) => settings.Server.GetLeftPart(UriPartial.Authority);

    private static string UnavailableReason(RpcException error)
    {
        for (var inner = error.Status.DebugException ?? error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                    SocketError.ConnectionReset => "connection reset",
                    _ => socket.Message,
                };
            }

            if (inner is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError })
            {
                return "host not found";
            }
        }

        return error.Status.Detail.Length > 0 ? error.Status.Detail : "unavailable";
    }
}

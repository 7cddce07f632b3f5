using System.CommandLine;

namespace CrossLogic.Cli.Invocation;

/// <summary>Where the control plane is and which token to present, each from the first source that sets it.</summary>
internal sealed record ConnectionSettings(Uri Server, string? Token, string ConfigPath)
{
    public const string DefaultServer = "http://127.0.0.1:7001";

    /// <summary>Server: --server, CLCTL_SERVER, config "server", the default. Token: --token, CLCTL_TOKEN, CL_ADMIN_TOKEN, config "token".</summary>
    public static ConnectionSettings Resolve(ParseResult parse, GlobalOptions options)
    {
        var config = ConfigFile.Load(parse.GetValue(options.Config));
        var server = FirstSet(parse.GetValue(options.Server), Environment.GetEnvironmentVariable("CLCTL_SERVER"), config.Server) ?? DefaultServer;
        var token = FirstSet(
            parse.GetValue(options.Token),
            Environment.GetEnvironmentVariable("CLCTL_TOKEN"),
            Environment.GetEnvironmentVariable("CL_ADMIN_TOKEN"),
            config.Token);
        return new ConnectionSettings(ParseServer(server), token, config.Path);
    }

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    private static Uri ParseServer(string server)
    {
        // `host:port` is what people type; the control plane's gRPC port speaks cleartext HTTP/2.
        var text = server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0
            ? uri
            : throw new CliException(ExitCodes.Usage, $"server '{server}' is not an http:// or https:// address", "set --server, CLCTL_SERVER or \"server\" in the config file to e.g. http://127.0.0.1:7001");
    }
}

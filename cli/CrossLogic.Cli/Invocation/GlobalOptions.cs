using System.CommandLine;
using CrossLogic.Cli.Output;

namespace CrossLogic.Cli.Invocation;

/// <summary>The options every command takes: where the control plane is, how to authenticate, how to print.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Server { get; } = new("--server")
    {
        Description = "The control plane's gRPC address (else CLCTL_SERVER, else \"server\" in the config file, else http://127.0.0.1:7001)",
        HelpName = "URL",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "The admin token (else CLCTL_TOKEN, else CL_ADMIN_TOKEN, else \"token\" in the config file)",
        HelpName = "TOKEN",
        Recursive = true,
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "The config file, JSON {\"server\": ..., \"token\": ...} (default $XDG_CONFIG_HOME/clctl/config.json or ~/.config/clctl/config.json)",
        HelpName = "PATH",
        Recursive = true,
    };

    public Option<string> Output { get; } = CreateOutput();

    public void AddTo(Command root)
    {
        root.Options.Add(Server);
        root.Options.Add(Token);
        root.Options.Add(Config);
        root.Options.Add(Output);
    }

    private static Option<string> CreateOutput()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "How to print the answer: a table for people, or the response message as JSON",
            DefaultValueFactory = _ => OutputFormat.Table,
            Recursive = true,
        };
        option.AcceptOnlyFromAmong(OutputFormat.Table, OutputFormat.Json);
        return option;
    }
}

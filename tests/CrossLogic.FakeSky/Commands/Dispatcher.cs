using CrossLogic.FakeSky.Cli;

namespace CrossLogic.FakeSky.Commands;

/// <summary>The `sky` command group: --version, help, and the commands the fake simulates.</summary>
internal static class Dispatcher
{
    public static int Run(Invocation run)
    {
        var argv = run.Argv;
        if (argv.Count == 0 || argv[0] is "-h" or "--help")
        {
            Console.Out.WriteLine(HelpText.Root);
            return 0;
        }

        if (argv[0] == "--version")
        {
            Console.Out.WriteLine(HelpText.Version);
            return 0;
        }

        if (argv[0].StartsWith('-'))
        {
            return SkyConsole.UsageError("", $"No such option: {argv[0]}");
        }

        var command = argv[0];
        var args = argv.Skip(1).ToList();
        var wantsHelp = args.Contains("-h") || args.Contains("--help");
        switch (command)
        {
            case "launch" or "status" or "down" when wantsHelp:
                Console.Out.WriteLine(command switch
                {
                    "launch" => HelpText.Launch,
                    "down" => HelpText.Down,
                    _ => HelpText.Status(run.Config.JsonOutput),
                });
                return 0;
            case "launch" or "status" or "down" when run.Config.ApiServerBanner:
                // What the first command on a machine prints while it auto-starts the API server.
                Console.Out.WriteLine("Failed to connect to SkyPilot API server at http://127.0.0.1:46580. Starting a local server.");
                Console.Out.WriteLine("✓ SkyPilot API server started. View logs at: ~/.sky/api_server/server.log");
                break;
        }

        return command switch
        {
            "launch" => new LaunchCommand(run).Execute(args),
            "status" => new StatusCommand(run).Execute(args),
            "down" => new DownCommand(run).Execute(args),
            "fake-preempt" => new FakeCommands(run).Preempt(args),
            "fake-add" => new FakeCommands(run).Add(args),
            _ => SkyConsole.UsageError("", $"No such command '{command}'."),
        };
    }
}

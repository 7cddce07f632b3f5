using System.CommandLine;
using CrossLogic.Cli.Output;

namespace CrossLogic.Cli.Invocation;

/// <summary>What a command's action works with: its parsed values, the output, and (on first use) the control plane.</summary>
internal sealed class CommandContext(ParseResult parse, GlobalOptions options) : IDisposable
{
    private ConnectionSettings? _settings;
    private ControlPlane? _controlPlane;

    public ParseResult Parse { get; } = parse;

    public Terminal Terminal { get; } = new();

    public bool Json { get; } = parse.GetValue(options.Output) == OutputFormat.Json;

    public ConnectionSettings Settings => _settings ??= ConnectionSettings.Resolve(Parse, options);

    public ControlPlane ControlPlane => _controlPlane ??= new ControlPlane(Settings);

    public Contracts.V1.Fleet.FleetClient Fleet => ControlPlane.Fleet;

    public Contracts.V1.Gateway.GatewayClient Gateway => ControlPlane.Gateway;

    public T Value<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Value<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    public void Dispose() => _controlPlane?.Dispose();
}

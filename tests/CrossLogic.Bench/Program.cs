using CrossLogic.Bench;

return args switch
{
    ["link", .. var rest] => await LinkBench.RunAsync(rest),
    ["agent", .. var rest] => await AgentBench.RunAsync(rest),
    ["gateway", .. var rest] => await GatewayBench.RunAsync(rest),
    ["loadgen", .. var rest] => await LinkLoadGenerator.RunAsync(rest),
    ["reference-proxy", .. var rest] => await ReferenceProxy.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: crosslogic-bench link [--max-streams N] [--hold-seconds S]");
    Console.Error.WriteLine("       crosslogic-bench agent [--seconds S]");
    Console.Error.WriteLine("       crosslogic-bench gateway [--seconds S] [--rates 500,2000] [--workers N] [--references yarp,kestrel_client,raw_socket]");
    Console.Error.WriteLine("       crosslogic-bench loadgen --url URL --tokens FILE --count N --seconds S   (started by 'link')");
    Console.Error.WriteLine("       crosslogic-bench reference-proxy KIND --port P --upstream URL             (started by 'gateway')");
    return 2;
}

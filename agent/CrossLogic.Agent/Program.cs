using CrossLogic.Agent.Hosting;

return await AgentCommandLine.Build().Parse(args).InvokeAsync(new() { ProcessTerminationTimeout = null });

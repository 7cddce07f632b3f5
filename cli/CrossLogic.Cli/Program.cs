using CrossLogic.Cli.Invocation;

return await ClctlCommand.RunAsync(args).ConfigureAwait(false);

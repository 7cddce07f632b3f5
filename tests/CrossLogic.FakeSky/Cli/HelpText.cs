namespace CrossLogic.FakeSky.Cli;

/// <summary>`sky [COMMAND] --help`, shortened; `sky status --help` lists `-o, --output` only where the CLI has it.</summary>
internal static class HelpText
{
    public const string Version = "skypilot, version 0.10.3";

    public static string Root => """
        Usage: sky [OPTIONS] COMMAND [ARGS]...

          SkyPilot: Run AI on Any Infra — Unified, Faster, Cheaper.

        Options:
          --version   Show the version and exit.
          -h, --help  Show this message and exit.

        Commands:
          launch   Launch a cluster or task.
          status   Show clusters.
          down     Tear down cluster(s).
        """;

    public static string Launch => """
        Usage: sky launch [OPTIONS] [ENTRYPOINT]...

          Launch a cluster or task.

        Options:
          -c, --cluster TEXT              A cluster name.
          --infra TEXT                    Infrastructure to use. Format: cloud, cloud/region, cloud/region/zone.
          --gpus TEXT                     Type and number of GPUs to use.
          --use-spot / --no-use-spot      Whether to request spot instances.
          --env TEXT                      Environment variable to set on the remote node.
          --secret TEXT                   Secret environment variable to set on the remote node.
          -i, --idle-minutes-to-autostop INTEGER
                                          Automatically stop the cluster after this many minutes of idleness.
          --down                          Autodown the cluster.
          -r, --retry-until-up            Whether to retry provisioning infinitely until the cluster is up.
          -d, --detach-run                If True, as soon as a job is submitted, return from this call.
          -y, --yes                       Skip confirmation prompt.
          -h, --help                      Show this message and exit.
        """;

    public static string Down => """
        Usage: sky down [OPTIONS] [CLUSTERS]...

          Tear down cluster(s).

        Options:
          -a, --all        Tear down all existing clusters.
          -u, --all-users  Tear down all existing clusters for all users.
          -y, --yes        Skip confirmation prompt.
          -p, --purge      (Advanced) Forcefully remove the cluster(s) from SkyPilot's cluster table, even if the actual cluster termination failed on the cloud.
          --async          Run the command asynchronously.
          -h, --help       Show this message and exit.
        """;

    public static string Status(bool jsonOutput)
    {
        var output = jsonOutput
            ? "  -o, --output [table|json]       Output format. 'json' prints a list of cluster records.\n"
            : "";
        return $"""
            Usage: sky status [OPTIONS] [CLUSTERS]...

              Show clusters.

            Options:
              -v, --verbose                   Show all cluster information.
              -r, --refresh                   Query the latest cluster statuses from the cloud provider(s).
              --ip                            Get the IP address of the head node of a cluster.
              --endpoints                     Get all exposed endpoints and corresponding URLs for a cluster.
              --endpoint INTEGER              Get the endpoint URL for the specified port number on the cluster.
            {output}  -u, --all-users                 Show all clusters, including those not owned by the current user.
              -h, --help                      Show this message and exit.
            """;
    }
}

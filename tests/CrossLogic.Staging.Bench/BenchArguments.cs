using System.Globalization;

namespace CrossLogic.Staging.Bench;

/// <summary>`--gib 2 --shards 4 --rounds 2 --dir DIR`, and staging's own knobs (defaults: the agent's) to explore them.</summary>
internal sealed record BenchArguments(double Gib, int Shards, int Rounds, string Directory, int? PartConcurrency, int? PartMib, int? FileConcurrency, bool AwsCli)
{
    public long ModelBytes => (long)(Gib * 1024 * 1024 * 1024);

    public static BenchArguments Parse(string[] args)
    {
        var gib = 2.0;
        var shards = 4;
        var rounds = 2;
        var directory = Path.Combine(Path.GetTempPath(), "crosslogic-staging-bench");
        int? partConcurrency = null, partMib = null, fileConcurrency = null;
        var awsCli = true;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-awscli")
            {
                awsCli = false;
                continue;
            }

            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--gib":
                    gib = double.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--shards":
                    shards = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--rounds":
                    rounds = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--dir":
                    directory = value;
                    break;
                case "--part-concurrency":
                    partConcurrency = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--part-mib":
                    partMib = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--file-concurrency":
                    fileConcurrency = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown argument {args[i]}; usage: [--gib 2] [--shards 4] [--rounds 2] [--dir DIR] [--part-concurrency N] [--part-mib N] [--file-concurrency N] [--no-awscli]");
            }

            i++;
        }

        return gib > 0 && shards > 0 && rounds > 0 ? new BenchArguments(gib, shards, rounds, directory, partConcurrency, partMib, fileConcurrency, awsCli) : throw new ArgumentException("--gib, --shards and --rounds must be positive");
    }
}

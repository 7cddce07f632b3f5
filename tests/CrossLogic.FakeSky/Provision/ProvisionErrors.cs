namespace CrossLogic.FakeSky.Provision;

/// <summary>SkyPilot's texts for the failures a fault rule injects (exception type + message, as printed on stderr).</summary>
internal static class ProvisionErrors
{
    public const string ResourcesUnavailable = "sky.exceptions.ResourcesUnavailableError";
    public const string CloudUserIdentity = "sky.exceptions.CloudUserIdentityError";

    /// <summary>Resources.__repr__: "AWS(p5.48xlarge[Spot], {'H100': 8}, ports=['8081'])".</summary>
    public static string Repr(Placement placement, Offering offering, bool spot, int diskSize, IReadOnlyList<int> ports)
    {
        var parts = new List<string> { offering.InstanceType + (spot ? "[Spot]" : "") };
        if (offering.Accelerator is not null)
        {
            parts.Add($"{{'{offering.Accelerator}': {offering.AcceleratorCount}}}");
        }

        if (diskSize != 256)
        {
            parts.Add($"disk_size={diskSize}");
        }

        if (ports.Count > 0)
        {
            parts.Add("ports=[" + string.Join(", ", ports.Select(p => $"'{p}'")) + "]");
        }

        return $"{placement.CloudDisplay}({string.Join(", ", parts)})";
    }

    /// <summary>The stdout line before the exception of a failed provisioning.</summary>
    public static string FailedLine(string logDir) => $"⨯ Failed to provision resources. View logs: sky api logs -l {logDir}/provision.log";

    /// <summary>ResourcesUnavailableError after every candidate failed (no_capacity, quota).</summary>
    public static string AllCandidatesFailed(int nodes, string repr, string reason)
    {
        const string header = "Resource";
        var width = Math.Max(header.Length, repr.Length) + 2;
        return $"Failed to provision all possible launchable resources. Relax the task's resource requirements: {nodes}x {repr}\n"
            + "To keep retrying until the cluster is up, use the `--retry-until-up` flag.\n"
            + "Reasons for provision failures (for details, please check the log above):\n"
            + $"{header.PadRight(width)}Reason\n"
            + $"{repr.PadRight(width)}{reason}";
    }

    public static string NoCapacityReason(Placement placement, Offering offering, bool spot) => placement.Cloud switch
    {
        "aws" when spot => "[InsufficientInstanceCapacity] There is no Spot capacity available that matches your request.",
        "aws" => $"[InsufficientInstanceCapacity] We currently do not have sufficient {offering.InstanceType} capacity in the Availability Zone you requested ({placement.Zone}). Our system will be working on provisioning additional capacity.",
        "gcp" => $"[ZONE_RESOURCE_POOL_EXHAUSTED] The zone 'projects/skypilot-project/zones/{placement.Zone}' does not have enough resources available to fulfill the request. Try a different zone, or try again later.",
        "azure" => $"[AllocationFailed] Allocation failed. We do not have sufficient capacity for the requested VM size {offering.InstanceType} in region {placement.Region}.",
        "lambda" => "[LambdaCloudError] insufficient-capacity: Not enough capacity to fulfill launch request.",
        _ => $"[InsufficientResources] 0/1 nodes are available: 1 Insufficient nvidia.com/gpu.",
    };

    public static string QuotaReason(Placement placement, Offering offering) => placement.Cloud switch
    {
        "aws" => "[VcpuLimitExceeded] You have requested more vCPU capacity than your current vCPU limit of 96 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.",
        "gcp" => $"Quota 'GPUS_ALL_REGIONS' exceeded. Limit: 0.0 globally. Got return codes 'VM_MIN_COUNT_NOT_REACHED', 'QUOTA_EXCEEDED' in {placement.Zone}",
        "azure" => $"[QuotaExceeded] Operation could not be completed as it results in exceeding approved {offering.InstanceType} Family Cores quota in {placement.Region}.",
        "lambda" => "[LambdaCloudError] quota-exceeded: Quota exceeded for instance type " + offering.InstanceType + ".",
        _ => "[QuotaExceeded] exceeded quota: requests.nvidia.com/gpu.",
    };

    public static string Catalog(int nodes, Placement placement, IReadOnlyList<string> accelerators, bool spot)
    {
        var request = new List<string>();
        if (accelerators.Count > 0)
        {
            request.Add("{" + string.Join(", ", accelerators.Select(a => a.Split(':') is [var n, var c] ? $"'{n}': {c}" : $"'{a}': 1")) + "}");
        }

        if (spot)
        {
            request.Add("use_spot=True");
        }

        return $"Catalog does not contain any instances satisfying the request: {nodes}x {placement.CloudDisplay}({string.Join(", ", request)}).\n"
            + "To fix: relax or change the resource requirements.\n\n"
            + "Hint: sky show-gpus to list available accelerators.\n"
            + "      sky check to check the enabled clouds.";
    }

    public static string Auth(Placement placement) => placement.Cloud switch
    {
        "aws" => "Failed to access AWS services with credentials. Make sure that the access and secret keys are correct. Run the following commands:\n"
            + "      $ aws configure\n"
            + "      $ aws configure list  # Ensure that this shows identity is set.\n"
            + "    For more info: https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-quickstart.html",
        "gcp" => "Failed to get GCP user identity with unknown exception.\n"
            + "  Reason: [CalledProcessError] Command 'gcloud auth list --filter=status:ACTIVE --format=\"value(account)\"' returned non-zero exit status 1.",
        "azure" => "Failed to get activated Azure account.\n  Reason: [CLIError] Please run 'az login' to setup account.",
        _ => $"Failed to access {placement.CloudDisplay} services with credentials. Run `sky check {placement.Cloud}` to check the credentials.",
    };

    public static string DownReason(Placement placement, string instanceType) => placement.Cloud switch
    {
        "aws" => $"RuntimeError: Failed to terminate instances of {instanceType} in {placement.Region}: botocore.exceptions.ClientError: An error occurred (UnauthorizedOperation) when calling the TerminateInstances operation: You are not authorized to perform this operation.",
        "gcp" => $"RuntimeError: Failed to terminate instances in {placement.Zone}: googleapiclient.errors.HttpError: <HttpError 503 \"The service is currently unavailable.\">",
        _ => $"RuntimeError: Failed to terminate the cluster on {placement.CloudDisplay}: the cloud API returned an internal error.",
    };
}

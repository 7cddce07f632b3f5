using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace CrossLogic.Agent.Staging;

/// <summary>The S3 client for R2 or AWS S3, configured from <see cref="StagingOptions"/>.</summary>
public static class S3ClientFactory
{
    /// <summary>The client configuration; callers may adjust it (a test's HTTP handler) before <see cref="Create"/>.</summary>
    public static AmazonS3Config CreateConfig(StagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // R2 returns few of the x-amz-checksum-* headers, and ranged GETs carry no whole-object checksum:
            // checksums only where an operation demands one; integrity comes from the model's published sha256.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // Retries are ours (RetryPolicy): one budget (MaxAttempts), one backoff on TimeProvider, and they also
            // cover a body that breaks half-way, which the SDK never retries.
            MaxErrorRetry = 0,
            Timeout = options.ReadTimeout,
        };
        if (options.Endpoint.Length > 0)
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        return config;
    }

    /// <summary>A client with the options' key pair (or the AWS_* environment variables); throws when the options are invalid.</summary>
    public static IAmazonS3 Create(StagingOptions options, AmazonS3Config? config = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        var credentials = options.ResolveCredentials(Environment.GetEnvironmentVariable)
            ?? throw new StagingException("No S3 credentials: set Staging:AccessKeyId and Staging:SecretAccessKey, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
        return new AmazonS3Client(new BasicAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey), config ?? CreateConfig(options));
    }
}

using CrossLogic.Agent.Staging;

namespace CrossLogic.Staging.Tests;

public sealed class StagingOptionsTests
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void Defaults_with_keys_are_valid_for_R2()
    {
        var options = new StagingOptions { Endpoint = "https://account.r2.cloudflarestorage.com", AccessKeyId = "id", SecretAccessKey = "secret" };

        Assert.Empty(options.Validate(NoEnvironment));
        Assert.Equal("auto", options.Region);
        Assert.True(options.ForcePathStyle);
        Assert.Equal(64L * 1024 * 1024, options.PartSizeBytes);
        Assert.Equal(8, options.PartConcurrency);
        Assert.Equal(4, options.FileConcurrency);
        Assert.Equal(5, options.MaxAttempts);
    }

    [Fact]
    public void Keys_come_from_the_environment_when_the_options_have_none()
    {
        var environment = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "env-id", ["AWS_SECRET_ACCESS_KEY"] = "env-secret" };
        var options = new StagingOptions { Endpoint = "http://127.0.0.1:9000" };

        Assert.Empty(options.Validate(environment.GetValueOrDefault));
        Assert.Equal("env-id", options.ResolveCredentials(environment.GetValueOrDefault)!.AccessKeyId);
    }

    [Fact]
    public void Each_bad_value_is_reported_with_its_key()
    {
        var options = new StagingOptions
        {
            Endpoint = "ftp://nowhere",
            PartSizeBytes = 1000,
            PartConcurrency = 0,
            FileConcurrency = 0,
            MaxAttempts = 0,
            CacheBudgetBytes = -1,
            SecretAccessKey = "do-not-print-me",
        };

        var errors = options.Validate(NoEnvironment);

        foreach (var key in new[] { "Endpoint", "PartSizeBytes", "PartConcurrency", "FileConcurrency", "MaxAttempts", "CacheBudgetBytes", "AccessKeyId" })
        {
            Assert.Contains(errors, e => e.StartsWith($"Staging:{key} ", StringComparison.Ordinal) || e.Contains($"Staging:{key}", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(errors, e => e.Contains("do-not-print-me", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Staging:PartSizeBytes must be between", StringComparison.Ordinal));
    }

    [Fact]
    public void AWS_S3_needs_a_real_region()
    {
        var options = new StagingOptions { AccessKeyId = "id", SecretAccessKey = "secret" };

        Assert.Contains(options.Validate(NoEnvironment), e => e.StartsWith("Staging:Region must name an AWS region", StringComparison.Ordinal));
    }

    [Fact]
    public void Stager_refuses_invalid_options_naming_the_key()
    {
        var options = new StagingOptions { Endpoint = "http://127.0.0.1:1", AccessKeyId = "id", SecretAccessKey = "secret", PartSizeBytes = 10 };

        var error = Assert.Throws<StagingException>(() => new ModelStager(options));

        Assert.Contains("Staging:PartSizeBytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }
}

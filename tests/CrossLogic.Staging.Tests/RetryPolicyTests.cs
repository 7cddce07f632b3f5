using System.Net;
using Amazon.S3;
using CrossLogic.Agent.Staging;
using Microsoft.Extensions.Time.Testing;

namespace CrossLogic.Staging.Tests;

public sealed class RetryPolicyTests
{
    [Fact]
    public async Task Transient_failures_are_retried_with_growing_backoff_then_reported()
    {
        var clock = new FakeTimeProvider();
        var retry = new RetryPolicy(3, clock, new S3Errors(null));
        var calls = 0;

        var running = retry.RunAsync<int>("GET s3://b/k", _ =>
        {
            calls++;
            throw new AmazonS3Exception("busy", Amazon.Runtime.ErrorType.Receiver, "SlowDown", "r", HttpStatusCode.ServiceUnavailable);
        }, CancellationToken.None);

        Assert.Equal(1, calls);
        // Not before the shortest backoff (half of BaseDelay), and by BaseDelay at the latest.
        clock.Advance(RetryPolicy.BaseDelay / 2 - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, calls);
        clock.Advance(RetryPolicy.BaseDelay / 2);
        await UntilAsync(() => Volatile.Read(ref calls) == 2);
        Assert.False(running.IsCompleted);
        clock.Advance(RetryPolicy.BaseDelay * 2);
        await UntilAsync(() => Volatile.Read(ref calls) == 3);
        var error = await Assert.ThrowsAsync<StagingException>(() => running);
        Assert.Equal("GET s3://b/k failed after 3 attempts: 503 SlowDown: busy", error.Message);
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task Access_denied_is_not_retried()
    {
        var retry = new RetryPolicy(5, new FakeTimeProvider(), new S3Errors(null));
        var calls = 0;

        var error = await Assert.ThrowsAsync<StagingException>(() => retry.RunAsync<int>("GET s3://b/k", _ =>
        {
            calls++;
            throw new AmazonS3Exception("Access Denied", Amazon.Runtime.ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden);
        }, CancellationToken.None));

        Assert.Equal(1, calls);
        Assert.StartsWith("GET s3://b/k failed: 403 AccessDenied: Access Denied (check Staging:AccessKeyId", error.Message, StringComparison.Ordinal);
    }
}

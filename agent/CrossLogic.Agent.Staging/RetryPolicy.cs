using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace CrossLogic.Agent.Staging;

/// <summary>Retries transient failures (5xx, throttling, timeouts, resets) with exponential backoff and jitter, up to MaxAttempts.</summary>
internal sealed class RetryPolicy(int maxAttempts, TimeProvider time, S3Errors errors)
{
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(8);

    public int MaxAttempts => maxAttempts;

    /// <summary>Runs the action; a final failure becomes a <see cref="StagingException"/> naming the operation.</summary>
    public Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken) =>
        RunAsync(operation, action, onRetry: null, cancellationToken);

    /// <summary>As above; <paramref name="onRetry"/> counts the retries for progress.</summary>
    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> action, Action? onRetry, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is ObjectChangedException or StagingException || cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception exception) when (IsTransient(exception) && attempt < maxAttempts)
            {
                onRetry?.Invoke();
                await Task.Delay(Backoff(attempt), time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is AmazonServiceException or AmazonClientException or IOException or SocketException or HttpRequestException or TimeoutException or OperationCanceledException)
            {
                throw errors.Fail(operation, exception, attempt);
            }
        }
    }

    public Task RunAsync(string operation, Func<CancellationToken, Task> action, Action? onRetry, CancellationToken cancellationToken) =>
        RunAsync(operation, async token =>
        {
            await action(token).ConfigureAwait(false);
            return true;
        }, onRetry, cancellationToken);

    /// <summary>Half to all of base·2^(attempt-1), capped: spread so that parallel parts do not retry in step.</summary>
    public static TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
#pragma warning restore CA5394
    }

    public static bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout } => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" } => true,
        // The SDK's own timeout, or our stall timeout: the caller's token was not cancelled (checked above).
        OperationCanceledException or TimeoutException => true,
        IOException or SocketException or HttpRequestException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}

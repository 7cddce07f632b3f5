using System.Net;
using Amazon.Runtime;

namespace CrossLogic.Agent.Staging;

/// <summary>Turns SDK and network failures into messages a human can act on, with the key pair scrubbed out.</summary>
internal sealed class S3Errors(StagingCredentials? credentials)
{
    public string Redact(string text) => credentials?.Redact(text) ?? text;

    public string Describe(Exception exception)
    {
        var text = exception switch
        {
            AmazonServiceException { StatusCode: not 0 } service => $"{(int)service.StatusCode} {service.ErrorCode}: {service.Message}{Hint(service)}",
            _ => Flatten(exception),
        };
        return Redact(text);
    }

    /// <summary>A <see cref="StagingException"/> for a failed operation; the cause is attached only when its text holds no key.</summary>
    public StagingException Fail(string operation, Exception exception, int attempts)
    {
        var after = attempts > 1 ? $" after {attempts} attempts" : "";
        return new StagingException($"{operation} failed{after}: {Describe(exception)}", SafeCause(exception));
    }

    public Exception? SafeCause(Exception exception) =>
        credentials is null || credentials.Redact(exception.ToString()) == exception.ToString() ? exception : null;

    private static string Hint(AmazonServiceException service) => service.StatusCode switch
    {
        HttpStatusCode.Forbidden => " (check Staging:AccessKeyId, Staging:SecretAccessKey and the key's access to this bucket)",
        HttpStatusCode.NotFound when service.ErrorCode == "NoSuchBucket" => " (check the bucket name in the model location)",
        _ => "",
    };

    private static string Flatten(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null && parts.Count < 4; e = e.InnerException)
        {
            parts.Add($"{e.GetType().Name}: {e.Message}");
        }

        return string.Join(" → ", parts);
    }
}

using CrossLogic.Agent.Staging;

namespace CrossLogic.Staging.Tests;

public sealed class S3ModelLocationTests
{
    [Theory]
    [InlineData("s3://models/llama/", "models", "llama/")]
    [InlineData("s3://my-bucket.eu/org/llama-3-8b", "my-bucket.eu", "org/llama-3-8b/")]
    public void Valid_location_gives_bucket_and_a_prefix_ending_in_a_slash(string text, string bucket, string prefix)
    {
        var location = S3ModelLocation.Parse(text);

        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Prefix);
        Assert.Equal($"s3://{bucket}/{prefix}", location.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("https://bucket/model/", "does not start with s3://")]
    [InlineData("s3://", "no valid bucket name")]
    [InlineData("s3://Bucket/model/", "no valid bucket name")]
    [InlineData("s3://ab/model/", "no valid bucket name")]
    [InlineData("s3://bucket", "no model path")]
    [InlineData("s3://bucket/", "no model path")]
    [InlineData("s3://bucket//model/", "empty path segment")]
    [InlineData("s3://bucket/models/../secrets/", "'..'")]
    public void Bad_location_is_rejected_saying_what_is_wrong(string text, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => S3ModelLocation.Parse(text));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.False(S3ModelLocation.TryParse(text, out _, out var message));
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }
}

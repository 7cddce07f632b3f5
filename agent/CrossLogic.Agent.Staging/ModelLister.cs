using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace CrossLogic.Agent.Staging;

/// <summary>Lists a model's objects (ListObjectsV2, every page) and reads its SHA256SUMS manifest when there is one.</summary>
internal sealed class ModelLister(IAmazonS3 s3, RetryPolicy retry)
{
    private const int MaxManifestBytes = 4 * 1024 * 1024;

    public int? PageSize { get; set; }

    public async Task<RemoteModel> ListAsync(S3ModelLocation location, CancellationToken cancellationToken)
    {
        var files = new List<RemoteFile>();
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Prefix, ContinuationToken = continuation, MaxKeys = PageSize };
            var page = await retry.RunAsync($"Listing {location}", token => s3.ListObjectsV2Async(request, token), cancellationToken).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                // A key ending in '/' is a console's "folder", not a file.
                if (item.Key.EndsWith('/'))
                {
                    continue;
                }

                var relativePath = item.Key[location.Prefix.Length..];
                if (StagingPaths.Check(relativePath) is { } problem)
                {
                    throw new StagingException($"The object s3://{location.Bucket}/{item.Key} cannot be staged: {problem}.");
                }

                files.Add(new RemoteFile(item.Key, relativePath, item.Size ?? 0, item.ETag ?? ""));
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);

        if (files.Count == 0)
        {
            throw new StagingException($"There are no objects under {location}; check the bucket and the model path.");
        }

        var manifest = files.Find(f => f.RelativePath == Sha256Sums.ObjectName);
        var sums = manifest is null ? new Dictionary<string, string>() : await ReadManifestAsync(location, manifest, cancellationToken).ConfigureAwait(false);
        foreach (var path in sums.Keys)
        {
            if (!files.Exists(f => f.RelativePath == path))
            {
                throw new StagingException($"{location}{Sha256Sums.ObjectName} lists '{path}', but the bucket has no such object: the model's upload is incomplete.");
            }
        }

        return new RemoteModel(location, files, sums);
    }

    private async Task<IReadOnlyDictionary<string, string>> ReadManifestAsync(S3ModelLocation location, RemoteFile manifest, CancellationToken cancellationToken)
    {
        if (manifest.Size > MaxManifestBytes)
        {
            throw new StagingException($"{location}{Sha256Sums.ObjectName} is {manifest.Size} bytes; a manifest is at most {MaxManifestBytes}.");
        }

        var text = await retry.RunAsync($"GET {location}{Sha256Sums.ObjectName}", async token =>
        {
            using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = location.Bucket, Key = manifest.Key }, token).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return await reader.ReadToEndAsync(token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        // A manifest cannot vouch for itself (a line for it was hashed while it was being written): it is
        // checked like any file without a manifest entry.
        return Sha256Sums.Parse(text).Where(entry => entry.Key != Sha256Sums.ObjectName).ToDictionary(StringComparer.Ordinal);
    }
}

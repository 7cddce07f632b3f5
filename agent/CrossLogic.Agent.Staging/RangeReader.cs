using System.Buffers;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Win32.SafeHandles;

namespace CrossLogic.Agent.Staging;

/// <summary>
/// One ranged GET of one object version (<c>If-Match</c>) written straight into the file at its offset. A 412, or a
/// response with another ETag (a server that ignores If-Match), is an <see cref="ObjectChangedException"/>: the caller
/// restarts the file rather than stitch two versions together.
/// </summary>
internal sealed class RangeReader(IAmazonS3 s3, TimeProvider time, TimeSpan readTimeout)
{
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>Reads [cursor.Next, end) and advances the cursor chunk by chunk, so that a retry continues where this attempt stopped.</summary>
    public async Task ReadAsync(
        string bucket,
        RemoteFile file,
        PartCursor cursor,
        SafeFileHandle target,
        Action<long, int> written,
        CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest
        {
            BucketName = bucket,
            Key = file.Key,
            EtagToMatch = file.ETag,
            ByteRange = new ByteRange(cursor.Next, cursor.End - 1),
        };

        GetObjectResponse response;
        try
        {
            response = await s3.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new ObjectChangedException($"{file.RelativePath} changed in the bucket (412 on If-Match {file.ETag}).", exception);
        }

        using (response)
        {
            if (!ETags.SameVersion(response.ETag, file.ETag))
            {
                throw new ObjectChangedException($"{file.RelativePath} changed in the bucket (ETag {response.ETag}, expected {file.ETag}).");
            }

            var expected = cursor.End - cursor.Next;
            if (response.ContentLength != expected)
            {
                throw new StagingException($"GET {file.Key} bytes={cursor.Next}-{cursor.End - 1} returned {response.ContentLength} bytes instead of {expected}: the server ignored the Range header.");
            }

            await CopyAsync(response.ResponseStream, file, cursor, target, written, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CopyAsync(Stream body, RemoteFile file, PartCursor cursor, SafeFileHandle target, Action<long, int> written, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        // A body that stops flowing without closing would hang for ever: every read must bring bytes within
        // readTimeout. Re-armed per read, so a slow but steady body is never cut off.
        using var stall = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), stall);
        try
        {
            while (cursor.Next < cursor.End)
            {
                var want = (int)Math.Min(buffer.Length, cursor.End - cursor.Next);
                var filled = 0;
                while (filled < want)
                {
                    stall.CancelAfter(readTimeout);
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer.AsMemory(filled, want - filled), stall.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new TimeoutException($"No data for {readTimeout.TotalSeconds:0} s from GET {file.Key} at byte {cursor.Next + filled}.");
                    }

                    if (read == 0)
                    {
                        throw new IOException($"GET {file.Key} ended at byte {cursor.Next + filled}, before {cursor.End}.");
                    }

                    filled += read;
                }

                Write(target, buffer.AsSpan(0, filled), cursor.Next, file);
                written(cursor.Next, filled);
                cursor.Next += filled;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // A local disk error (no space left) is not the network's: it must not be retried as a transient failure.
    private static void Write(SafeFileHandle target, ReadOnlySpan<byte> data, long offset, RemoteFile file)
    {
        try
        {
            RandomAccess.Write(target, data, offset);
        }
        catch (IOException exception)
        {
            throw new StagingException($"Writing {file.RelativePath} to local disk failed: {exception.Message}", exception);
        }
    }
}

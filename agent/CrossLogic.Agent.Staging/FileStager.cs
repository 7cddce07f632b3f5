using System.Runtime.ExceptionServices;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Win32.SafeHandles;

namespace CrossLogic.Agent.Staging;

/// <summary>
/// Stages one file: skip it when its marker vouches for it, else fetch its missing parts in parallel ranged GETs
/// into <c>.partial</c>, hash as the bytes arrive, and rename it into place only once verified. A changed object
/// (412) starts the file over; a hash mismatch is fetched once more, then reported.
/// </summary>
internal sealed class FileStager(IAmazonS3 s3, StagingOptions options, PartScheduler partSlots, RetryPolicy retry, RangeReader reader)
{
    public async Task<StagedFile> StageAsync(string bucket, RemoteFile listed, string? manifestSha256, string modelDirectory, ProgressTracker progress, CancellationToken cancellationToken)
    {
        progress.FileStarted(listed.RelativePath);
        var staged = false;
        try
        {
            var result = await StageCoreAsync(bucket, listed, manifestSha256, new StagingPaths(modelDirectory, listed.RelativePath), progress, cancellationToken).ConfigureAwait(false);
            staged = true;
            return result;
        }
        finally
        {
            progress.FileFinished(listed.RelativePath, staged);
        }
    }

    private async Task<StagedFile> StageCoreAsync(string bucket, RemoteFile listed, string? manifestSha256, StagingPaths paths, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var marker = VerifiedMarker.Load(paths.Marker);
        if (marker is not null && marker.Vouches(listed, paths.Final, manifestSha256))
        {
            progress.Reused(listed.Size);
            return new StagedFile(listed.RelativePath, listed.Size, marker.Method, marker.Digest, StagedFileOrigin.Reused, 0);
        }

        var (file, expectation) = manifestSha256 is not null
            ? (listed, new FileExpectation(VerificationMethod.Sha256Manifest, manifestSha256))
            : await HeadAsync(bucket, listed, progress, cancellationToken).ConfigureAwait(false);

        paths.EnsureDirectories();
        File.Delete(paths.Marker);
        if (await TryAdoptAsync(file, expectation, paths, cancellationToken).ConfigureAwait(false))
        {
            progress.Reused(file.Size);
            return new StagedFile(file.RelativePath, file.Size, expectation.Method, expectation.Digest, StagedFileOrigin.Reused, 0);
        }

        var mismatches = 0;
        var changes = 0;
        long downloaded = 0;
        var resumed = false;
        while (true)
        {
            var attempt = new AttemptCounters();
            try
            {
                var digest = await DownloadAsync(bucket, file, expectation, paths, progress, attempt, cancellationToken).ConfigureAwait(false);
                downloaded += attempt.Downloaded;
                resumed |= attempt.Reused > 0;
                if (expectation.Digest is null || digest == expectation.Digest)
                {
                    Commit(file, expectation, digest, paths);
                    return new StagedFile(file.RelativePath, file.Size, expectation.Method, digest, resumed ? StagedFileOrigin.Resumed : StagedFileOrigin.Downloaded, downloaded);
                }

                progress.Discarded(attempt);
                paths.DeletePartial();
                if (++mismatches >= 2)
                {
                    throw new ChecksumMismatchException(file.RelativePath, expectation.Method, expectation.Digest, digest ?? "");
                }
            }
            catch (ObjectChangedException changed)
            {
                downloaded += attempt.Downloaded;
                progress.Discarded(attempt);
                paths.DeletePartial();
                if (++changes >= options.MaxAttempts)
                {
                    throw new FileStagingException(file.RelativePath, $"the object changed {changes} times while being downloaded; is it being uploaded right now?", changed);
                }

                var (fresh, freshExpectation) = await HeadAsync(bucket, file, progress, cancellationToken).ConfigureAwait(false);
                file = fresh;
                expectation = manifestSha256 is null ? freshExpectation : expectation;
            }
        }
    }

    /// <summary>The object's current version and size, and the hash it publishes in its metadata or single-part ETag.</summary>
    private async Task<(RemoteFile File, FileExpectation Expectation)> HeadAsync(string bucket, RemoteFile file, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var head = await retry.RunAsync(
            $"HEAD s3://{bucket}/{file.Key}",
            token => s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = file.Key }, token),
            progress.Retried,
            cancellationToken).ConfigureAwait(false);
        var current = file with { ETag = head.ETag ?? file.ETag, Size = head.ContentLength };

        if (FileExpectation.ParseSha256(head.Metadata["x-amz-meta-sha256"]) is { } sha256)
        {
            return (current, new FileExpectation(VerificationMethod.Sha256Metadata, sha256));
        }

        // With SSE-KMS or SSE-C, even a single-part ETag is not the MD5 of the bytes.
        var encrypted = head.ServerSideEncryptionMethod == ServerSideEncryptionMethod.AWSKMS
            || head.ServerSideEncryptionMethod == ServerSideEncryptionMethod.AWSKMSDSSE
            || (head.ServerSideEncryptionCustomerMethod is { } customer && customer != ServerSideEncryptionCustomerMethod.None);
        return !encrypted && ETags.Md5(current.ETag) is { } md5
            ? (current, new FileExpectation(VerificationMethod.EtagMd5, md5))
            : (current, FileExpectation.SizeOnly);
    }

    /// <summary>A final file without a marker (a kill between rename and marker, a copy placed by hand): kept if it hashes right.</summary>
    private static async Task<bool> TryAdoptAsync(RemoteFile file, FileExpectation expectation, StagingPaths paths, CancellationToken cancellationToken)
    {
        var info = new FileInfo(paths.Final);
        if (!info.Exists || info.Length != file.Size || expectation.Algorithm is not { } algorithm)
        {
            return false;
        }

        if (await FileHashing.HashAsync(paths.Final, algorithm, cancellationToken).ConfigureAwait(false) != expectation.Digest)
        {
            return false;
        }

        WriteMarker(file, expectation, expectation.Digest, paths);
        return true;
    }

    private async Task<string?> DownloadAsync(string bucket, RemoteFile file, FileExpectation expectation, StagingPaths paths, ProgressTracker progress, AttemptCounters attempt, CancellationToken cancellationToken)
    {
        var partSize = options.PartSizeBytes;
        var parts = PartCursor.Split(file.Size, partSize);
        var state = PartialState.Load(paths.Sidecar);
        var resume = state is not null && state.Matches(file, partSize) && File.Exists(paths.Partial);
        if (!resume)
        {
            paths.DeletePartial();
        }

        var completed = resume ? state!.CompletedParts.Where(i => i >= 0 && i < parts.Count).ToHashSet() : [];
        using var handle = resume
            ? File.OpenHandle(paths.Partial, FileMode.Open, FileAccess.ReadWrite)
            // Reserving the space up front makes a full disk fail now, not after gigabytes.
            : File.OpenHandle(paths.Partial, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, preallocationSize: file.Size);
        RandomAccess.SetLength(handle, file.Size);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var hasher = expectation.Algorithm is { } algorithm ? new ContiguousHasher(handle, file.Size, algorithm) : null;
        var hashing = hasher?.RunAsync(cancel.Token);
        try
        {
            foreach (var part in parts.Where(p => completed.Contains(p.Index)))
            {
                var length = part.End - part.Start;
                hasher?.Written(part.Start, length);
                progress.Reused(length);
                attempt.AddReused(length);
            }

            var sidecar = new SidecarWriter(paths.Sidecar, file, partSize, completed);
            void Written(long offset, int count)
            {
                hasher?.Written(offset, count);
                progress.Downloaded(count);
                attempt.AddDownloaded(count);
            }

            var downloads = parts
                .Where(p => !completed.Contains(p.Index))
                .Select(p => DownloadPartAsync(bucket, file, p, handle, Written, sidecar, progress, cancel))
                .ToArray();
            await WhenAllOrFirstFailureAsync(downloads, cancellationToken).ConfigureAwait(false);
            return hashing is null ? null : await hashing.ConfigureAwait(false);
        }
        finally
        {
            // The hash pump reads the handle: it must be stopped before the handle is closed.
            await cancel.CancelAsync().ConfigureAwait(false);
            if (hashing is not null)
            {
                await ((Task)hashing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task DownloadPartAsync(
        string bucket,
        RemoteFile file,
        PartCursor part,
        SafeFileHandle handle,
        Action<long, int> written,
        SidecarWriter sidecar,
        ProgressTracker progress,
        CancellationTokenSource cancel)
    {
        var token = cancel.Token;
        try
        {
            using (await partSlots.AcquireAsync(handle, token).ConfigureAwait(false))
            {
                await retry.RunAsync(
                    $"GET s3://{bucket}/{file.Key} bytes={part.Start}-{part.End - 1}",
                    attemptToken => reader.ReadAsync(bucket, file, part, handle, written, attemptToken),
                    progress.Retried,
                    token).ConfigureAwait(false);
            }

            sidecar.Completed(part.Index);
        }
        catch (Exception) when (!token.IsCancellationRequested)
        {
            // One part failing dooms the attempt: stop the others at once instead of finishing them.
            await cancel.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task WhenAllOrFirstFailureAsync(Task[] tasks, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cause = tasks
                .Where(t => t.IsFaulted)
                .Select(t => t.Exception!.InnerException!)
                .OrderBy(e => e is OperationCanceledException)
                .First();
            ExceptionDispatchInfo.Throw(cause);
        }
    }

    private static void Commit(RemoteFile file, FileExpectation expectation, string? digest, StagingPaths paths)
    {
        File.Move(paths.Partial, paths.Final, overwrite: true);
        File.Delete(paths.Sidecar);
        WriteMarker(file, expectation, digest, paths);
    }

    private static void WriteMarker(RemoteFile file, FileExpectation expectation, string? digest, StagingPaths paths) =>
        new VerifiedMarker(file.ETag, file.Size, expectation.Method, digest, File.GetLastWriteTimeUtc(paths.Final).Ticks).Save(paths.Marker);
}

using Amazon.S3;

namespace CrossLogic.Agent.Staging;

/// <summary>
/// Downloads a model's files from an S3-compatible bucket into a local directory and verifies them. Create one per
/// process: <see cref="StagingOptions.PartConcurrency"/> bounds the ranged GETs of every staging running at once.
/// </summary>
public sealed class ModelStager : IDisposable
{
    private readonly IAmazonS3 _s3;
    private readonly bool _ownsClient;
    private readonly StagingOptions _options;
    private readonly TimeProvider _time;
    private readonly RetryPolicy _retry;
    private readonly ModelLister _lister;
    private readonly FileStager _files;

    /// <summary>A stager with its own S3 client from the options (endpoint, region, keys).</summary>
    public ModelStager(StagingOptions options, TimeProvider? timeProvider = null)
        : this(S3ClientFactory.Create(options), ownsClient: true, options, timeProvider)
    {
    }

    /// <summary>A stager over the caller's client (which it does not dispose); the options' keys serve only to scrub messages.</summary>
    public ModelStager(IAmazonS3 s3, StagingOptions options, TimeProvider? timeProvider = null)
        : this(s3, ownsClient: false, options, timeProvider)
    {
    }

    private ModelStager(IAmazonS3 s3, bool ownsClient, StagingOptions options, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate(Environment.GetEnvironmentVariable, requireCredentials: false);
        if (errors.Count > 0)
        {
            throw new StagingException("Invalid staging options: " + string.Join(" ", errors));
        }

        _s3 = s3;
        _ownsClient = ownsClient;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        var s3Errors = new S3Errors(options.ResolveCredentials(Environment.GetEnvironmentVariable));
        _retry = new RetryPolicy(options.MaxAttempts, _time, s3Errors);
        _lister = new ModelLister(s3, _retry);
        _files = new FileStager(s3, options, new PartScheduler(options.PartConcurrency), _retry, new RangeReader(s3, _time, options.ReadTimeout));
    }

    /// <summary>
    /// Stages every object under the location into <paramref name="targetDirectory"/> (created if missing) and returns
    /// once all are present and verified. Files already staged are skipped; an interrupted run resumes its parts.
    /// Throws <see cref="ModelStagingException"/> (with each failed file) or <see cref="StagingException"/>.
    /// </summary>
    public async Task<StagingResult> StageAsync(
        S3ModelLocation location,
        string targetDirectory,
        IProgress<StagingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        var model = await ListAsync(location, cancellationToken).ConfigureAwait(false);
        return await StageAsync(model, targetDirectory, progress, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _s3.Dispose();
        }
    }

    /// <summary>Keys per ListObjectsV2 page; tests make it small to prove the paging.</summary>
    internal int? ListPageSize
    {
        get => _lister.PageSize;
        init => _lister.PageSize = value;
    }

    internal Task<RemoteModel> ListAsync(S3ModelLocation location, CancellationToken cancellationToken) =>
        _lister.ListAsync(location, cancellationToken);

    internal async Task<StagingResult> StageAsync(RemoteModel model, string targetDirectory, IProgress<StagingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetDirectory);
        var directory = Path.GetFullPath(targetDirectory);
        using var exclusive = DirectoryLock.Acquire(directory);
        using var tracker = new ProgressTracker(model.Location, progress, _time, model.TotalBytes, model.Files.Count);
        using var fileSlots = new SemaphoreSlim(_options.FileConcurrency, _options.FileConcurrency);

        var failures = new List<FileStagingException>();
        // Largest first, so the small files fill the gaps at the end instead of a big one starting last.
        var staging = model.Files.OrderByDescending(f => f.Size).Select(async file =>
        {
            await fileSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                model.Sha256Sums.TryGetValue(file.RelativePath, out var sha256);
                return await _files.StageAsync(model.Location.Bucket, file, sha256, directory, tracker, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && AsFileFailure(file, exception) is { } failure)
            {
                lock (failures)
                {
                    failures.Add(failure);
                }

                return null;
            }
            finally
            {
                fileSlots.Release();
            }
        }).ToArray();

        var files = await Task.WhenAll(staging).ConfigureAwait(false);
        if (failures.Count > 0)
        {
            throw new ModelStagingException(model.Location, model.Files.Count, [.. failures.OrderBy(f => f.RelativePath, StringComparer.Ordinal)]);
        }

        tracker.Complete();
        return new StagingResult(
            model.Location,
            directory,
            [.. files.OfType<StagedFile>().OrderBy(f => f.RelativePath, StringComparer.Ordinal)],
            // Not the listing's total: a file replaced during the run has its new size.
            files.OfType<StagedFile>().Sum(f => f.Size),
            tracker.BytesDownloaded,
            tracker.BytesReused,
            tracker.Elapsed,
            tracker.Retries);
    }

    // Failures of one file (the store refusing it, a full disk) are collected; bugs and cancellation are not.
    private static FileStagingException? AsFileFailure(RemoteFile file, Exception exception) => exception switch
    {
        FileStagingException failure => failure,
        StagingException or IOException or UnauthorizedAccessException => new FileStagingException(file.RelativePath, exception.Message, exception),
        _ => null,
    };
}

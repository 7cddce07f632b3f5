using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CrossLogic.Agent.Staging;

/// <summary>
/// The models on this box: one directory per model under <see cref="StagingOptions.CacheDirectory"/>, kept within
/// <see cref="StagingOptions.CacheBudgetBytes"/> by evicting the least recently used. A model that is pinned (the
/// engine runs on it) or being staged is never evicted. Take the pin before staging so that nothing can evict the
/// model between the two:
/// <code>
/// using var pin = cache.Pin(location);
/// var directory = await cache.StageAsync(location, progress, token);
/// </code>
/// Pins and stagings in progress are tracked for the whole process (one agent per box), whichever instance took them;
/// a directory another process is staging holds its lock and is skipped too.
/// </summary>
public sealed class ModelCache
{
    private const string LastUsedFile = "last-used";
    private const string LocationFile = "location";
    private const string EvictingPrefix = ".evicting-";

    private readonly ModelStager _stager;
    private readonly long _budget;
    private readonly TimeProvider _time;
    // Pins and stagings in progress are the process's, not one instance's: a second ModelCache over the same
    // directory (made per call, say) still sees them. Keyed by the model directory's full path.
    private static readonly Lock _gate = new();
    private static readonly Dictionary<string, int> _pins = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, long> _staging = new(StringComparer.Ordinal);
    private static readonly SemaphoreSlim _budgetGate = new(1, 1);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> _modelGates = new(StringComparer.Ordinal);

    public ModelCache(ModelStager stager, StagingOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(stager);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            throw new StagingException($"{StagingOptions.SectionName}:{nameof(StagingOptions.CacheDirectory)} is required for the model cache.");
        }

        if (options.CacheBudgetBytes < 0)
        {
            throw new StagingException($"{StagingOptions.SectionName}:{nameof(StagingOptions.CacheBudgetBytes)} must be 0 (no limit) or positive, not {options.CacheBudgetBytes}.");
        }

        _stager = stager;
        _budget = options.CacheBudgetBytes;
        _time = timeProvider ?? TimeProvider.System;
        Root = Path.GetFullPath(options.CacheDirectory);
        try
        {
            Directory.CreateDirectory(Root);
            foreach (var leftover in Directory.EnumerateDirectories(Root, EvictingPrefix + "*"))
            {
                DeleteQuietly(leftover);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new StagingException($"{StagingOptions.SectionName}:{nameof(StagingOptions.CacheDirectory)} '{Root}' cannot be used: {exception.Message}", exception);
        }
    }

    public string Root { get; }

    /// <summary>The directory a model is staged into: its last path segment and a short hash of its location.</summary>
    public string GetDirectory(S3ModelLocation location) => Path.Combine(Root, DirectoryName(location));

    /// <summary>Marks the model in use; it is not evicted until the pin is disposed. The model need not be staged yet.</summary>
    public ModelPin Pin(S3ModelLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var directory = GetDirectory(location);
        lock (_gate)
        {
            _pins[directory] = _pins.GetValueOrDefault(directory) + 1;
        }

        Touch(directory);
        return new ModelPin(location, directory, () =>
        {
            lock (_gate)
            {
                if (--_pins[directory] == 0)
                {
                    _pins.Remove(directory);
                }
            }

            Touch(directory);
        });
    }

    /// <summary>
    /// Stages the model into its cache directory (skipping what is already there and verified), evicting least
    /// recently used models to fit the budget, and returns the directory of the complete, verified model.
    /// </summary>
    public async Task<string> StageAsync(S3ModelLocation location, IProgress<StagingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        var directory = GetDirectory(location);
        using var staging = Pin(location);
        var gate = _modelGates.GetOrAdd(directory, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var model = await _stager.ListAsync(location, cancellationToken).ConfigureAwait(false);
            await ReserveAsync(directory, location, model.TotalBytes, cancellationToken).ConfigureAwait(false);
            try
            {
                var state = StagingPaths.StateDirectory(directory);
                Directory.CreateDirectory(state);
                await File.WriteAllTextAsync(Path.Combine(state, LocationFile), location.ToString(), cancellationToken).ConfigureAwait(false);
                await _stager.StageAsync(model, directory, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    _staging.Remove(directory);
                }
            }

            Touch(directory);
            return directory;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new StagingException($"Staging {location} into {directory} failed: {exception.Message}", exception);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The models in the cache, least recently used first.</summary>
    public IReadOnlyList<CachedModel> List()
    {
        var models = Scan();
        lock (_gate)
        {
            return [.. models.Select(m => m with { InUse = _pins.ContainsKey(m.Directory) || _staging.ContainsKey(m.Directory) })];
        }
    }

    internal static string DirectoryName(S3ModelLocation location)
    {
        var readable = new string([.. location.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]).TrimStart('.');
        if (readable.Length > 80)
        {
            readable = readable[..80];
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(location.ToString())), 0, 4);
        return $"{readable}-{hash}";
    }

    // Makes room for `total` bytes of the model in `directory`: the least recently used models that are neither pinned nor
    // being staged go, until every model (those being staged counted at their full size) fits the budget.
    private async Task ReserveAsync(string directory, S3ModelLocation location, long total, CancellationToken cancellationToken)
    {
        await _budgetGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var evicted = new List<string>();
        try
        {
            var models = Scan();
            lock (_gate)
            {
                _staging[directory] = total;
                if (_budget == 0)
                {
                    return;
                }

                var usage = models.Where(m => m.Directory != directory).Sum(Footprint) + total;
                foreach (var candidate in models.Where(m => !_pins.ContainsKey(m.Directory) && !_staging.ContainsKey(m.Directory)))
                {
                    if (usage <= _budget)
                    {
                        break;
                    }

                    if (TryEvict(candidate) is { } trash)
                    {
                        evicted.Add(trash);
                        usage -= candidate.SizeBytes;
                    }
                }

                if (usage > _budget)
                {
                    _staging.Remove(directory);
                    var held = models.Where(m => m.Directory != directory && Directory.Exists(m.Directory)).Select(m => $"{m.Name} ({Footprint(m)} bytes)");
                    throw new StagingException(
                        $"{StagingOptions.SectionName}:{nameof(StagingOptions.CacheBudgetBytes)} ({_budget} bytes) cannot hold {location} ({total} bytes) " +
                        $"next to the models in use or being staged: {string.Join(", ", held)}.");
                }
            }
        }
        finally
        {
            _budgetGate.Release();
            foreach (var trash in evicted)
            {
                DeleteQuietly(trash);
            }
        }
    }

    private static long Footprint(CachedModel model) => Math.Max(model.SizeBytes, _staging.GetValueOrDefault(model.Directory));

    // Renamed away first (atomic), deleted after: nobody sees a half-deleted model. A directory that another
    // process is staging holds its lock, and is skipped.
    private string? TryEvict(CachedModel model)
    {
        using var exclusive = DirectoryLock.TryAcquire(model.Directory);
        if (exclusive is null)
        {
            return null;
        }

        var trash = Path.Combine(Root, $"{EvictingPrefix}{model.Name}-{Guid.NewGuid():N}");
        Directory.Move(model.Directory, trash);
        return trash;
    }

    private List<CachedModel> Scan()
    {
        var models = new List<CachedModel>();
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(directory);
            var state = StagingPaths.StateDirectory(directory);
            // Only directories this cache made are ever evicted.
            if (name.StartsWith('.') || !Directory.Exists(state))
            {
                continue;
            }

            var size = new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            var location = ReadText(Path.Combine(state, LocationFile));
            var lastUsed = DateTimeOffset.TryParse(ReadText(Path.Combine(state, LastUsedFile)), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : DateTimeOffset.MinValue;
            models.Add(new CachedModel(name, directory, location, size, lastUsed, InUse: false));
        }

        return [.. models.OrderBy(m => m.LastUsed).ThenBy(m => m.Name, StringComparer.Ordinal)];
    }

    private void Touch(string directory)
    {
        var state = StagingPaths.StateDirectory(directory);
        if (Directory.Exists(state))
        {
            File.WriteAllText(Path.Combine(state, LastUsedFile), _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        }
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Retried at the next start (leftover .evicting-* directories).
        }
    }
}

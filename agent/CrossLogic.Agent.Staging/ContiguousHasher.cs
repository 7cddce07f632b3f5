using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace CrossLogic.Agent.Staging;

/// <summary>
/// Hashes a file while its ranges arrive out of order: writers report each chunk they wrote, and one pump hashes the
/// contiguous prefix as it grows, reading it back right behind the writers (from the page cache, not the disk). The
/// hash is done moments after the last byte lands, on its own task, so hashing never holds a download slot;
/// the price is one extra memory copy per byte, small next to SHA-256 itself (~1 GB/s with SHA-NI).
/// Parts resumed from an earlier run are reported the same way and so are verified again.
/// </summary>
internal sealed class ContiguousHasher : IDisposable
{
    private const int ChunkBytes = 1024 * 1024;

    private readonly SafeFileHandle _file;
    private readonly long _length;
    private readonly IncrementalHash _hash;
    private readonly Lock _gate = new();
    private readonly List<(long Start, long End)> _written = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public ContiguousHasher(SafeFileHandle file, long length, HashAlgorithmName algorithm)
    {
        _file = file;
        _length = length;
        _hash = IncrementalHash.CreateHash(algorithm);
    }

    /// <summary>Records that [offset, offset+count) is on disk; any order, overlaps allowed (a retried range).</summary>
    public void Written(long offset, long count)
    {
        if (count <= 0)
        {
            return;
        }

        lock (_gate)
        {
            Merge(offset, offset + count);
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>Hashes the whole file as it fills; returns the lowercase hex digest once every byte is in.</summary>
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long hashed = 0;
            while (hashed < _length)
            {
                var frontier = ContiguousEnd();
                if (frontier <= hashed)
                {
                    await _wake.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                while (hashed < frontier)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var count = (int)Math.Min(buffer.Length, frontier - hashed);
                    var read = RandomAccess.Read(_file, buffer.AsSpan(0, count), hashed);
                    if (read <= 0)
                    {
                        throw new IOException($"The file ended at {hashed} bytes while {frontier} were reported written.");
                    }

                    _hash.AppendData(buffer, 0, read);
                    hashed += read;
                }
            }

            return Convert.ToHexStringLower(_hash.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _hash.Dispose();

    private long ContiguousEnd()
    {
        lock (_gate)
        {
            return _written.Count > 0 && _written[0].Start == 0 ? _written[0].End : 0;
        }
    }

    // Keeps _written sorted, disjoint and with touching ranges joined: the first range is the hashable prefix.
    private void Merge(long start, long end)
    {
        var index = 0;
        while (index < _written.Count && _written[index].End < start)
        {
            index++;
        }

        while (index < _written.Count && _written[index].Start <= end)
        {
            start = Math.Min(start, _written[index].Start);
            end = Math.Max(end, _written[index].End);
            _written.RemoveAt(index);
        }

        _written.Insert(index, (start, end));
    }
}

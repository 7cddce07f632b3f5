namespace CrossLogic.Agent.Engine;

/// <summary>The engine's output: the last lines in memory, everything in a size-capped, rotated log file.</summary>
internal sealed class EngineLog(string path, long maxBytes, int ringLines = 200) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Queue<string> _ring = new();
    private StreamWriter? _writer;
    private long _bytes;
    private string? _secret;

    /// <summary>A value masked in every line kept or written (vLLM prints its arguments, the engine API key among them).</summary>
    public void Redact(string? secret)
    {
        lock (_lock)
        {
            _secret = string.IsNullOrEmpty(secret) ? null : secret;
        }
    }

    public void Append(string line)
    {
        lock (_lock)
        {
            if (_secret is not null)
            {
                line = line.Replace(_secret, "***", StringComparison.Ordinal);
            }

            _ring.Enqueue(line.Length > 2000 ? line[..2000] : line);
            while (_ring.Count > ringLines)
            {
                _ring.Dequeue();
            }

            WriteToFile(line);
        }
    }

    public IReadOnlyList<string> Tail(int lines)
    {
        lock (_lock)
        {
            return _ring.Skip(Math.Max(0, _ring.Count - lines)).ToList();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    private void WriteToFile(string line)
    {
        if (path.Length == 0)
        {
            return;
        }

        try
        {
            if (_writer is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
                _bytes = _writer.BaseStream.Length;
            }

            if (_bytes > maxBytes)
            {
                _writer.Dispose();
                File.Move(path, path + ".1", overwrite: true);
                _writer = new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
                _bytes = 0;
            }

            _writer.WriteLine(line);
            _bytes += line.Length + 1;
        }
        catch (IOException)
        {
            // A full or read-only disk must not stop supervision; the in-memory tail still has the lines.
            _writer?.Dispose();
            _writer = null;
        }
        catch (UnauthorizedAccessException)
        {
            _writer = null;
        }
    }
}

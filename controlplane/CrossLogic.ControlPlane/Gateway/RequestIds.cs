namespace CrossLogic.ControlPlane.Gateway;

/// <summary>
/// Request ids: <c>req-</c>, the time in milliseconds since 1970 (12 hex digits) and 64 random bits (16 hex digits).
/// </summary>
/// <remarks>
/// An id is unique across replicas and restarts: usage rows are keyed by it. It starts with the time so that usage rows
/// land at the right edge of the usage table's primary-key index, as UUIDv7 keys do. With random ids every row went
/// to a random index page, and PostgreSQL spent 18 µs per usage row instead of 11 (<see cref="Usage.UsageStore"/>).
/// The id is no secret (the client gets it back), so the fast shared generator, seeded by the OS, serves instead of the
/// cryptographic one.
/// </remarks>
internal static class RequestIds
{
    private const string Prefix = "req-";
    private const int TimeDigits = 12;

    public static string New(TimeProvider time)
    {
        var milliseconds = time.GetUtcNow().ToUnixTimeMilliseconds();
        var random = Random.Shared.NextInt64(long.MinValue, long.MaxValue);
        return string.Create(Prefix.Length + TimeDigits + 16, (milliseconds, random), static (chars, parts) =>
        {
            Prefix.CopyTo(chars);
            parts.milliseconds.TryFormat(chars.Slice(Prefix.Length, TimeDigits), out _, "x12");
            parts.random.TryFormat(chars[(Prefix.Length + TimeDigits)..], out _, "x16");
        });
    }
}

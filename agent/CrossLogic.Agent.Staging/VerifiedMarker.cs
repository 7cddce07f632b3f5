namespace CrossLogic.Agent.Staging;

/// <summary>
/// Written beside a file once it is verified and in place. The next run skips the file without reading it when the
/// object's ETag and size are unchanged and the file still has the recorded size and modification time; a file
/// without a marker (a kill between the rename and the marker, a copy placed by hand) is hashed again instead.
/// </summary>
internal sealed record VerifiedMarker(string ETag, long Size, VerificationMethod Method, string? Digest, long LastWriteTicks)
{
    public static VerifiedMarker? Load(string path) => StateFiles.Load(path, StagingJsonContext.Default.VerifiedMarker);

    public void Save(string path) => StateFiles.Save(path, this, StagingJsonContext.Default.VerifiedMarker);

    /// <summary>True when the marker still vouches for the file at <paramref name="finalPath"/> as the listed object.</summary>
    public bool Vouches(RemoteFile file, string finalPath, string? manifestSha256)
    {
        if (!ETags.SameVersion(ETag, file.ETag) || Size != file.Size)
        {
            return false;
        }

        if (manifestSha256 is not null && (Method != VerificationMethod.Sha256Manifest || Digest != manifestSha256))
        {
            return false;
        }

        var info = new FileInfo(finalPath);
        return info.Exists && info.Length == Size && info.LastWriteTimeUtc.Ticks == LastWriteTicks;
    }
}

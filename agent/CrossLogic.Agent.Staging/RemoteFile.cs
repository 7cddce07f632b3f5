namespace CrossLogic.Agent.Staging;

/// <summary>One object of a model as the bucket lists it.</summary>
internal sealed record RemoteFile(string Key, string RelativePath, long Size, string ETag)
{
    /// <summary>The ETag without quotes, as it is compared and recorded.</summary>
    public string BareETag => ETags.Bare(ETag);
}

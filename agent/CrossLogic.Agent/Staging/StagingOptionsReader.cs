using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace CrossLogic.Agent.Staging;

/// <summary>Reads the `Staging` section by hand: the configuration binder's reflection is not Native-AOT safe for a
/// type from another assembly, and these are a handful of keys.</summary>
internal static class StagingOptionsReader
{
    public static StagingOptions Read(IConfiguration section)
    {
        var options = new StagingOptions();
        options.Endpoint = section["Endpoint"] ?? options.Endpoint;
        options.Region = section["Region"] ?? options.Region;
        options.ForcePathStyle = Bool(section["ForcePathStyle"]) ?? options.ForcePathStyle;
        options.AccessKeyId = section["AccessKeyId"] ?? options.AccessKeyId;
        options.SecretAccessKey = section["SecretAccessKey"] ?? options.SecretAccessKey;
        options.CacheDirectory = section["CacheDirectory"] ?? options.CacheDirectory;
        options.CacheBudgetBytes = Long(section["CacheBudgetBytes"]) ?? options.CacheBudgetBytes;
        options.FileConcurrency = (int?)Long(section["FileConcurrency"]) ?? options.FileConcurrency;
        options.PartSizeBytes = Long(section["PartSizeBytes"]) ?? options.PartSizeBytes;
        options.PartConcurrency = (int?)Long(section["PartConcurrency"]) ?? options.PartConcurrency;
        options.MaxAttempts = (int?)Long(section["MaxAttempts"]) ?? options.MaxAttempts;
        if (section["ReadTimeout"] is { } timeout)
        {
            // "00:01:00" or seconds; anything else becomes an invalid value that Validate() names.
            options.ReadTimeout = TimeSpan.TryParse(timeout, CultureInfo.InvariantCulture, out var span) ? span
                : double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds)
                : TimeSpan.Zero;
        }
        return options;
    }

    private static long? Long(string? text) =>
        text is null ? null : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : -1;

    private static bool? Bool(string? text) => text is null ? null : bool.TryParse(text, out var value) && value;
}

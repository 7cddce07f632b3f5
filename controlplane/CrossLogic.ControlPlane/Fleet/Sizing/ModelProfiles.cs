using CrossLogic.Contracts.V1;

namespace CrossLogic.ControlPlane.Fleet.Sizing;

/// <summary>
/// Architectures of common open-weight models (from their config.json), so automatic sizing works from the model name
/// alone. A profile in the request overrides; an unknown model needs one.
/// </summary>
internal static class ModelProfiles
{
    private static readonly Dictionary<string, ModelProfile> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["meta-llama/Llama-3.1-8B-Instruct"] = Profile(8.03, 32, 8, 128, 32),
        ["meta-llama/Llama-3.1-70B-Instruct"] = Profile(70.6, 80, 8, 128, 64),
        ["meta-llama/Llama-3.3-70B-Instruct"] = Profile(70.6, 80, 8, 128, 64),
        ["meta-llama/Llama-3.1-405B-Instruct-FP8"] = Profile(405.9, 126, 8, 128, 128, "fp8"),
        ["mistralai/Mistral-7B-Instruct-v0.3"] = Profile(7.25, 32, 8, 128, 32),
        ["mistralai/Mixtral-8x7B-Instruct-v0.1"] = Profile(46.7, 32, 8, 128, 32),
        ["Qwen/Qwen2.5-0.5B-Instruct"] = Profile(0.49, 24, 2, 64, 14),
        ["Qwen/Qwen2.5-7B-Instruct"] = Profile(7.62, 28, 4, 128, 28),
        ["Qwen/Qwen2.5-72B-Instruct"] = Profile(72.7, 80, 8, 128, 64),
        ["google/gemma-2-9b-it"] = Profile(9.24, 42, 8, 256, 16),
    };

    /// <summary>The request's profile completed from the known one of the same model (request fields win).</summary>
    public static ModelProfile Resolve(string model, ModelProfile? requested)
    {
        var profile = Known.TryGetValue(model, out var known) ? known.Clone() : new ModelProfile();
        if (requested is not null)
        {
            if (requested.ParametersBillions > 0) profile.ParametersBillions = requested.ParametersBillions;
            if (requested.Dtype.Length > 0) profile.Dtype = requested.Dtype;
            if (requested.MaxContextTokens != 0) profile.MaxContextTokens = requested.MaxContextTokens;
            if (requested.Concurrency != 0) profile.Concurrency = requested.Concurrency;
            if (requested.NumLayers > 0) profile.NumLayers = requested.NumLayers;
            if (requested.NumKvHeads > 0) profile.NumKvHeads = requested.NumKvHeads;
            if (requested.HeadDim > 0) profile.HeadDim = requested.HeadDim;
            if (requested.NumAttentionHeads > 0) profile.NumAttentionHeads = requested.NumAttentionHeads;
        }

        return profile;
    }

    private static ModelProfile Profile(double billions, int layers, int kvHeads, int headDim, int heads, string dtype = "bfloat16") => new()
    {
        ParametersBillions = billions,
        NumLayers = layers,
        NumKvHeads = kvHeads,
        HeadDim = headDim,
        NumAttentionHeads = heads,
        Dtype = dtype,
    };
}

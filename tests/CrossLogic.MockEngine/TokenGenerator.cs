using System.Runtime.CompilerServices;

namespace CrossLogic.MockEngine;

/// <summary>Produces "token0 token1 ..." at MOCK_ENGINE_TOKENS_PER_SECOND after MOCK_ENGINE_FIRST_TOKEN_DELAY_MS, counting each in the metrics.</summary>
internal sealed class TokenGenerator(MockBehaviour behaviour, EngineMetrics metrics, TimeProvider time)
{
    /// <summary>The text of token <paramref name="index"/>: one word, with the space that separates it from the previous one.</summary>
    public static string Token(int index) => index == 0 ? "token0" : $" token{index}";

    public async IAsyncEnumerable<string> GenerateAsync(int count, [EnumeratorCancellation] CancellationToken aborted)
    {
        var started = time.GetTimestamp();
        for (var index = 0; index < count; index++)
        {
            // Due times are absolute, so timer slack on one token does not slow the whole answer down.
            var due = behaviour.FirstTokenDelay + TimeSpan.FromSeconds((index + 1) / behaviour.TokensPerSecond);
            var wait = due - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, aborted);
            }
            else
            {
                aborted.ThrowIfCancellationRequested();
            }

            metrics.TokenGenerated();
            yield return Token(index);
        }
    }
}

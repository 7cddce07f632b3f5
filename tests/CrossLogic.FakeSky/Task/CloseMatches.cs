namespace CrossLogic.FakeSky.Task;

/// <summary>
/// Python's difflib.get_close_matches(word, possibilities, n=1, cutoff=0.6), which SkyPilot uses to say
/// "Instead of 'spot_recovery', did you mean 'job_recovery'?". Same ratio (Ratcliff/Obershelp, no junk heuristic).
/// </summary>
internal static class CloseMatches
{
    public static string? Best(string word, IEnumerable<string> possibilities, double cutoff = 0.6)
    {
        string? best = null;
        var bestScore = -1.0;
        foreach (var candidate in possibilities)
        {
            var score = Ratio(candidate, word);
            // heapq.nlargest on (score, x): ties go to the larger string.
            if (score >= cutoff && (score > bestScore || (score == bestScore && string.CompareOrdinal(candidate, best) > 0)))
            {
                best = candidate;
                bestScore = score;
            }
        }

        return best;
    }

    public static double Ratio(string a, string b)
    {
        var total = a.Length + b.Length;
        return total == 0 ? 1.0 : 2.0 * Matches(a, 0, a.Length, b, 0, b.Length) / total;
    }

    private static int Matches(string a, int alo, int ahi, string b, int blo, int bhi)
    {
        var (i, j, k) = LongestMatch(a, alo, ahi, b, blo, bhi);
        if (k == 0)
        {
            return 0;
        }

        return k + Matches(a, alo, i, b, blo, j) + Matches(a, i + k, ahi, b, j + k, bhi);
    }

    // Earliest longest block in a, then earliest in b: what SequenceMatcher.find_longest_match returns without junk.
    private static (int I, int J, int K) LongestMatch(string a, int alo, int ahi, string b, int blo, int bhi)
    {
        var (bestI, bestJ, bestK) = (alo, blo, 0);
        var previous = new int[b.Length + 1];
        for (var i = alo; i < ahi; i++)
        {
            var current = new int[b.Length + 1];
            for (var j = blo; j < bhi; j++)
            {
                if (a[i] != b[j])
                {
                    continue;
                }

                var k = current[j + 1] = (j > blo ? previous[j] : 0) + 1;
                if (k > bestK)
                {
                    (bestI, bestJ, bestK) = (i - k + 1, j - k + 1, k);
                }
            }

            previous = current;
        }

        return (bestI, bestJ, bestK);
    }
}

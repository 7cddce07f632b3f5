namespace CrossLogic.Cli.Invocation;

/// <summary>Every item of a paged List RPC (AIP-158: page_token in, next_page_token out, empty at the end).</summary>
internal static class Pages
{
    public static async Task<List<TItem>> AllAsync<TResponse, TItem>(
        Func<string, Task<TResponse>> page, Func<TResponse, IEnumerable<TItem>> items, Func<TResponse, string> nextToken)
    {
        var all = new List<TItem>();
        var token = "";
        do
        {
            var response = await page(token).ConfigureAwait(false);
            all.AddRange(items(response));
            token = nextToken(response);
        }
        while (token.Length > 0);
        return all;
    }
}

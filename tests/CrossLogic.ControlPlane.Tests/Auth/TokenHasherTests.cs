using CrossLogic.ControlPlane.Auth;

namespace CrossLogic.ControlPlane.Tests.Auth;

public sealed class TokenHasherTests
{
    [Fact]
    public void Minted_tokens_are_unique_prefixed_and_match_only_their_hash()
    {
        var a = TokenHasher.Mint("cln_");
        var b = TokenHasher.Mint("cln_");

        Assert.StartsWith("cln_", a, StringComparison.Ordinal);
        Assert.NotEqual(a, b);
        Assert.True(TokenHasher.Matches(a, TokenHasher.Hash(a)));
        Assert.False(TokenHasher.Matches(b, TokenHasher.Hash(a)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("Basic abc", null)]
    [InlineData("Bearer ", null)]
    [InlineData("Bearer tok", "tok")]
    [InlineData("bearer  tok ", "tok")]
    public void The_bearer_token_is_read_from_the_authorization_header(string? header, string? expected) =>
        Assert.Equal(expected, TokenHasher.FromAuthorizationHeader(header));
}

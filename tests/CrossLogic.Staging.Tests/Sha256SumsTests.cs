using CrossLogic.Agent.Staging;

namespace CrossLogic.Staging.Tests;

public sealed class Sha256SumsTests
{
    private const string Hash = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

    [Fact]
    public void Lines_of_sha256sum_give_lowercase_hashes_by_relative_path()
    {
        var sums = Sha256Sums.Parse($"{Hash}  model-00001.safetensors\r\n{Hash} *./tokenizer/tokenizer.json\n\n# comment\n");

        Assert.Equal(Hash.ToLowerInvariant(), sums["model-00001.safetensors"]);
        Assert.Equal(Hash.ToLowerInvariant(), sums["tokenizer/tokenizer.json"]);
        Assert.Equal(2, sums.Count);
    }

    [Theory]
    [InlineData("abc  file")]
    [InlineData(Hash + "file")]
    public void A_malformed_line_is_reported_by_number(string line)
    {
        var error = Assert.Throws<StagingException>(() => Sha256Sums.Parse($"{Hash}  ok\n{line}\n"));

        Assert.Contains("SHA256SUMS line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multipart_ETag_is_never_taken_for_an_MD5()
    {
        Assert.Equal("9e107d9d372bb6826bd81d3542a419d6", ETags.Md5("\"9E107D9D372BB6826BD81D3542A419D6\""));
        Assert.Null(ETags.Md5("\"9e107d9d372bb6826bd81d3542a419d6-12\""));
        Assert.Null(ETags.Md5("\"not-a-hash\""));
    }

    [Fact]
    public void Sha256_metadata_is_read_as_hex_or_base64()
    {
        var bytes = Convert.FromHexString(Hash);

        Assert.Equal(Hash.ToLowerInvariant(), FileExpectation.ParseSha256(Hash));
        Assert.Equal(Hash.ToLowerInvariant(), FileExpectation.ParseSha256(Convert.ToBase64String(bytes)));
        Assert.Null(FileExpectation.ParseSha256("nope"));
    }
}

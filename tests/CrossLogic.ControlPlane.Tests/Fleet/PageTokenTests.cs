using CrossLogic.ControlPlane.Fleet;
using Grpc.Core;

namespace CrossLogic.ControlPlane.Tests.Fleet;

public sealed class PageTokenTests
{
    [Fact]
    public void Tokens_round_trip() => Assert.Equal("node-42", PageToken.Decode(PageToken.Encode("node-42")));

    [Theory]
    [InlineData(0, PageToken.DefaultPageSize)]
    [InlineData(5, 5)]
    [InlineData(50_000, PageToken.MaxPageSize)]
    public void Page_sizes_are_coerced(int requested, int expected) => Assert.Equal(expected, PageToken.Size(requested));

    [Fact]
    public void Negative_sizes_and_foreign_tokens_are_invalid_arguments()
    {
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => PageToken.Size(-1)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => PageToken.Decode("!!!")).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => PageToken.Decode(Convert.ToBase64String("x:1"u8.ToArray()))).StatusCode);
    }
}

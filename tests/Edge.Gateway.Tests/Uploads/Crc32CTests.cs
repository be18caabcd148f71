using Edge.Shared;
using System.Text;
using Edge.Gateway.Uploads;

namespace Edge.Gateway.Tests.Uploads;

public sealed class Crc32CTests
{
    // Check values from RFC 3720 (iSCSI), appendix B.4, and the common "123456789" check value.
    [Theory]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("", 0x00000000u)]
    public void Compute_KnownVectors(string text, uint expected)
        => Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Compute_ThirtyTwoZeroBytes_MatchesRfc3720()
        => Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));

    [Fact]
    public void Compute_ThirtyTwoOnesBytes_MatchesRfc3720()
        => Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
}

using Edge.Gateway.Proofs.Reuse;
using Edge.V1;

namespace Edge.Gateway.Tests.Proofs.Reuse;

public sealed class HashBandsTests
{
    [Theory]
    [InlineData(6, 7, 0, 7)]
    [InlineData(6, 4, 1, 68)]
    [InlineData(3, 4, 0, 4)]
    [InlineData(8, 4, 2, 4 * (1 + 16 + 120))]
    [InlineData(12, 13, 0, 13)]
    public void Layout_RadiusAndProbes_FollowFromTheDistanceAndBands(int maxDistance, int count, int radius, int probes)
    {
        var bands = new HashBands(maxDistance, count);

        Assert.Equal(radius, bands.Radius);
        Assert.Equal(probes, bands.ProbesPerLookup);
        Assert.Equal(probes, bands.Probes(0x0123_4567_89ab_cdef).Distinct().Count());
        Assert.Equal(count, bands.Keys(0x0123_4567_89ab_cdef).Distinct().Count());
    }

    [Theory]
    [InlineData(6, 7)]
    [InlineData(6, 4)]
    [InlineData(7, 4)]
    [InlineData(8, 4)]
    [InlineData(4, 2)]
    public void Probes_ReachEveryHashWithinTheDistance_AndTheDistanceAlonePlusOneMayEscape(int maxDistance, int count)
    {
        var bands = new HashBands(maxDistance, count);
        var random = new Random(maxDistance * 100 + count);
        var escaped = 0;
        for (var trial = 0; trial < 3000; trial++)
        {
            var hash = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
            var within = Flip(hash, random.Next(maxDistance + 1), random);
            var beyond = Flip(hash, maxDistance + 1 + random.Next(4), random);
            var probes = bands.Probes(hash).ToHashSet();

            Assert.True(bands.Keys(within).Any(probes.Contains), $"{within:x16} within {maxDistance} of {hash:x16} was not reached");
            escaped += bands.Keys(beyond).Any(probes.Contains) ? 0 : 1;
        }

        // Not a guarantee either way, but the lookup must not read every band value: some far hashes are never candidates.
        Assert.True(escaped > 0);
    }

    [Theory]
    [InlineData(0x0000_0000_0000_0000, true)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFF, true)]
    [InlineData(0x0000_0000_0000_007F, true)]
    [InlineData(0x0000_0000_0000_00FF, false)]
    [InlineData(0x9a3c_5f0e_71b2_c4d8, false)]
    public void IsFeatureless_AlmostEveryBitEqual(ulong hash, bool featureless)
        => Assert.Equal(featureless, HashBands.IsFeatureless(hash));

    [Fact]
    public void StopPlace_SameAddressWrittenDifferently_IsTheSamePlace_AndAnotherHouseIsNot()
    {
        var address = new Address { Line1 = "12 Rose Lane", Line2 = "", City = "Leeds", PostalCode = "LS1 4AB", CountryCode = "GB" };
        var same = new Address { Line1 = "  12  ROSE lane ", City = "LEEDS", PostalCode = "ls1 4ab", CountryCode = "gb" };
        var next = new Address { Line1 = "14 Rose Lane", City = "Leeds", PostalCode = "LS1 4AB", CountryCode = "GB" };

        Assert.Matches("^[0-9a-f]{16}$", StopPlaces.Fingerprint(address));
        Assert.Equal(StopPlaces.Fingerprint(address), StopPlaces.Fingerprint(same));
        Assert.NotEqual(StopPlaces.Fingerprint(address), StopPlaces.Fingerprint(next));
        Assert.Empty(StopPlaces.Fingerprint(new Address { City = "Leeds" }));
    }

    private static ulong Flip(ulong hash, int bits, Random random)
    {
        var mask = 0UL;
        while (System.Numerics.BitOperations.PopCount(mask) < bits)
        {
            mask |= 1UL << random.Next(64);
        }

        return hash ^ mask;
    }
}

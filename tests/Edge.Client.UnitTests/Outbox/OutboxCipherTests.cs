using System.Security.Cryptography;
using Edge.Client.Outbox;

namespace Edge.Client.UnitTests.Outbox;

/// <summary>The sealed file format: what opens, what does not, and reads at any offset.</summary>
public sealed class OutboxCipherTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private readonly OutboxCipher _cipher = new(Key);

    // Three full segments and a part of a fourth.
    private readonly byte[] _content = RandomNumberGenerator.GetBytes((3 * OutboxCipher.SegmentBytes) + 1234);

    [Fact]
    public void Sealed_OpensUnderItsKeyAndIdentity_WithFreshNoncesEachWrite()
    {
        var once = _cipher.Seal(_content, "proof/a.proof");
        var twice = _cipher.Seal(_content, "proof/a.proof");

        Assert.Equal(_content, _cipher.Open(once, "proof/a.proof"));
        Assert.NotEqual(once, twice);
        Assert.True(once.AsSpan().IndexOf(_content.AsSpan(5000, 32)) < 0);
        Assert.Equal([], _cipher.Open(_cipher.Seal([], "scan/empty.scan"), "scan/empty.scan"));
    }

    public static TheoryData<string> Damages => new() { "another key", "another name", "bit flipped", "last segment cut", "cut mid-segment", "segments swapped", "header changed" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void Sealed_ChangedInAnyWay_DoesNotOpen(string damage)
    {
        var sealedFile = _cipher.Seal(_content, "proof/a.proof");
        var segment = OutboxCipher.SegmentBytes + 28;
        var cipher = _cipher;
        var identity = "proof/a.proof";
        switch (damage)
        {
            case "another key":
                cipher = new OutboxCipher(RandomNumberGenerator.GetBytes(32));
                break;
            case "another name":
                identity = "proof/b.proof";
                break;
            case "bit flipped":
                sealedFile[100_000] ^= 0x40;
                break;
            case "last segment cut":
                sealedFile = sealedFile[..(8 + (3 * segment))];
                break;
            case "cut mid-segment":
                sealedFile = sealedFile[..^10];
                break;
            case "segments swapped":
                var first = sealedFile[8..(8 + segment)];
                sealedFile[(8 + segment)..(8 + (2 * segment))].CopyTo(sealedFile, 8);
                first.CopyTo(sealedFile, 8 + segment);
                break;
            default:
                sealedFile[5] ^= 0x01;
                break;
        }

        Assert.Throws<DamagedEntryException>(() => cipher.Open(sealedFile, identity));
    }

    [Fact]
    public async Task Content_ReadAtAnyOffset_MatchesThePlaintext()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("edge-cipher-").FullName, "photo");
        await File.WriteAllBytesAsync(path, _cipher.Seal(_content, "photo/x"));
        using var content = _cipher.OpenContent(path, "photo/x");
        var random = new Random(5);

        Assert.Equal(_content.Length, content.Length);
        for (var i = 0; i < 50; i++)
        {
            var offset = random.Next(_content.Length);
            var buffer = new byte[random.Next(1, 200_000)];
            var read = await content.ReadAsync(buffer, offset, CancellationToken.None);
            Assert.Equal(Math.Min(buffer.Length, _content.Length - offset), read);
            Assert.Equal(_content.AsSpan(offset, read).ToArray(), buffer[..read]);
        }
    }

    [Fact]
    public async Task Stream_SealedAsItIsRead_OpensAsAWhole()
    {
        using var target = new MemoryStream();
        using var source = new MemoryStream(_content);
        var seen = new List<byte>();

        await _cipher.CopySealedAsync(source.ReadAsync, target, "photo/y", bytes => seen.AddRange(bytes.ToArray()), CancellationToken.None);

        Assert.Equal(_content, _cipher.Open(target.ToArray(), "photo/y"));
        Assert.Equal(_content, seen);
    }
}

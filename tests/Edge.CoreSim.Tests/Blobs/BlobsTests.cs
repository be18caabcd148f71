using Core.V1;
using Grpc.Core;

namespace Edge.CoreSim.Tests.Blobs;

public sealed class BlobsTests : CoreSimTest
{
    [Fact]
    public async Task UploadBlob_ManyChunks_StoresExactBytesUnderDigest()
    {
        await using var core = await StartCoreAsync();
        var bytes = TestData.RandomBytes(300_000);
        var digest = TestData.Sha256(bytes);

        var answer = await TestData.UploadAsync(core.Blobs, bytes, chunkBytes: 32 * 1024);

        Assert.Equal(digest, answer.Sha256);
        Assert.Equal(bytes.Length, answer.SizeBytes);
        Assert.False(answer.AlreadyPresent);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(Data.Path, "blobs", digest[..2], digest)));
    }

    [Fact]
    public async Task UploadBlob_WrongDigest_DataLossAndNothingStored()
    {
        await using var core = await StartCoreAsync();
        var bytes = TestData.RandomBytes(5_000);
        var claimed = TestData.Sha256(TestData.RandomBytes(5_000));

        await TestData.ThrowsRpcAsync(StatusCode.DataLoss, () => TestData.UploadAsync(core.Blobs, bytes, claimed));

        var missing = await core.Blobs.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { claimed, TestData.Sha256(bytes) } });
        Assert.Equal([claimed, TestData.Sha256(bytes)], missing.MissingSha256);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Data.Path, "blobs"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task UploadBlob_SameContentTwice_SecondAlreadyPresent()
    {
        await using var core = await StartCoreAsync();
        var bytes = TestData.RandomBytes(2_000);

        var first = await TestData.UploadAsync(core.Blobs, bytes);
        var second = await TestData.UploadAsync(core.Blobs, bytes);

        Assert.False(first.AlreadyPresent);
        Assert.True(second.AlreadyPresent);
        Assert.Equal(2, (await core.Admin.GetCountersAsync(new())).BlobUploads[TestData.Sha256(bytes)]);
    }

    [Fact]
    public async Task UploadBlob_NoHeader_InvalidArgument()
    {
        await using var core = await StartCoreAsync();
        using var call = core.Blobs.UploadBlob();
        await call.RequestStream.WriteAsync(new BlobChunk { Data = Google.Protobuf.ByteString.CopyFromUtf8("no header") });
        await call.RequestStream.CompleteAsync();

        await TestData.ThrowsRpcAsync(StatusCode.InvalidArgument, () => call.ResponseAsync);
    }

    [Fact]
    public async Task FindMissingBlobs_MixOfKnownAndUnknown_ReturnsUnknownOnce()
    {
        await using var core = await StartCoreAsync();
        var known = TestData.RandomBytes(1_000);
        await TestData.UploadAsync(core.Blobs, known);
        var unknown = TestData.Sha256(TestData.RandomBytes(1_000));

        var answer = await core.Blobs.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { unknown, TestData.Sha256(known), unknown } });

        Assert.Equal([unknown], answer.MissingSha256);
    }

    [Fact]
    public async Task FindMissingBlobs_UppercaseDigest_InvalidArgument()
    {
        await using var core = await StartCoreAsync();
        var digest = TestData.Sha256(TestData.RandomBytes(10)).ToUpperInvariant();

        await TestData.ThrowsRpcAsync(
            StatusCode.InvalidArgument,
            () => core.Blobs.FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { digest } }).ResponseAsync);
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using Edge.Gateway.Tests.Infrastructure;
using Edge.Testing;
using Grpc.Core;

namespace Edge.Gateway.Tests.Abuse;

/// <summary>
/// A valid photo that needs more decoder memory than the gateway has (its ceiling at the least allowed, 64 MiB, as when
/// the photos being processed have taken the rest) is refused RESOURCE_EXHAUSTED with a retry hint, never as damaged
/// (INVALID_ARGUMENT) or corrupt (DATA_LOSS), which a device would not retry. Once there is memory again (the gateway
/// back with its default ceiling) the device's retry stores it without sending its bytes again. Gateway processes of
/// their own: the decoder's limits are process-wide.
/// </summary>
public sealed class PhotoMemoryPressureTests
{
    [Fact]
    public async Task Photo_OverTheDecoderMemory_IsRefusedBusyNotDamaged_AndTheRetryStoresIt()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("edge-pressure-").FullName;
        var photo = GradientPng(6000, 5000); // 30 Mpx: about 90 MB of pixels, a few hundred KB of file
        RpcException refused;
        string decoderSaid;
        await using (var tight = await GatewayProcess.StartAsync(dataDirectory, null, null, "--Edge:Photos:DecoderMemoryBytes", "67108864"))
        {
            using var channel = TestChannels.Create(tight.Address, TestTokens.Mint("device-m"));
            refused = await Assert.ThrowsAsync<RpcException>(() => TestUploader.UploadAsync(new V1.Uploads.UploadsClient(channel), "pressure-1", photo));
            await TestIntake.WaitUntilAsync(() => Task.FromResult(tight.Output.Contains("refused by the decoder", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), "the decoder's refusal in the log");
            decoderSaid = tight.Output;
        }

        await using var roomy = await GatewayProcess.StartAsync(dataDirectory);
        using var retryChannel = TestChannels.Create(roomy.Address, TestTokens.Mint("device-m"));
        var retry = await TestUploader.UploadAsync(new V1.Uploads.UploadsClient(retryChannel), "pressure-1", photo);

        Assert.Contains("CacheResourcesExhausted", decoderSaid, StringComparison.Ordinal); // refused for memory, not for the photo
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.True(refused.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>()?.RetryDelay.ToTimeSpan() > TimeSpan.Zero, refused.Status.Detail);
        Assert.Equal(photo.Length, retry.Started.CommittedOffset);
        Assert.Equal("PNG", retry.Completed!.Blob.Photo.Format);
        Assert.Equal((6000, 5000), (retry.Completed.Blob.Photo.Width, retry.Completed.Blob.Photo.Height));
    }

    /// <summary>
    /// An 8-bit RGB PNG of a smooth gradient, written directly (rows with the Sub filter, deflated): large in pixels,
    /// small in bytes, and made without ImageMagick, whose limits in this process other tests set.
    /// </summary>
    private static byte[] GradientPng(int width, int height)
    {
        using var pixels = new MemoryStream();
        using (var deflate = new ZLibStream(pixels, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + (width * 3)];
            for (var y = 0; y < height; y++)
            {
                row[0] = 1; // Sub: each byte minus the same channel of the pixel to its left
                row[1] = 0;
                row[2] = (byte)(y * 255 / height);
                row[3] = 128;
                for (var x = 1; x < width; x++)
                {
                    row[1 + (x * 3)] = (byte)((x * 255 / width) - ((x - 1) * 255 / width));
                }

                deflate.Write(row);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 2; // RGB
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", pixels.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var number = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32.HashToUInt32(typed));
        png.Write(number);
    }
}

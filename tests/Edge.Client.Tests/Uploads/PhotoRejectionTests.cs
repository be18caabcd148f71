using System.Buffers.Binary;
using Edge.Client.Tests.Infrastructure;
using Google.Rpc;
using Grpc.Core;

namespace Edge.Client.Tests.Uploads;

/// <summary>
/// Photos the real gateway refuses, through the SDK over gRPC: the app gets a <see cref="PhotoRejectedException"/> whose
/// reason it can act on, carried by the gateway's <c>google.rpc.ErrorInfo</c>, with the field at fault as
/// <c>google.rpc.BadRequest</c>, and no retry is made.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PhotoRejectionTests(GatewayFixture gateway)
{
    private readonly string _photos = TestClients.NewDirectory("edge-photos-refused-");

    public static TheoryData<string, PhotoRejectionReason> Refused => new()
    {
        { "bomb", PhotoRejectionReason.TooManyPixels },
        { "truncated", PhotoRejectionReason.Damaged },
        { "random", PhotoRejectionReason.UnsupportedFormat },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task UploadPhoto_GatewayRefusesIt_ReasonReachesTheAppWithoutRetries(string kind, PhotoRejectionReason reason)
    {
        var path = Path.Combine(_photos, kind + ".jpg");
        await File.WriteAllBytesAsync(path, Photo(kind));
        await using var proxy = new FaultyProxy(gateway.Address);
        await using var client = new EdgeClient(TestClients.Options(proxy.Address, deviceId: "sdk-refused-" + kind));

        var refused = await Assert.ThrowsAsync<PhotoRejectedException>(() => client.UploadPhotoAsync(path));

        Assert.Equal(reason, refused.Reason);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("photo", refused.Status.Detail, StringComparison.OrdinalIgnoreCase);
        var status = refused.GetRpcStatus()!;
        var info = status.GetDetail<ErrorInfo>()!;
        Assert.Equal(("edge.v1", reason switch
        {
            PhotoRejectionReason.TooManyPixels => "TOO_MANY_PIXELS",
            PhotoRejectionReason.Damaged => "DAMAGED",
            _ => "UNSUPPORTED_FORMAT",
        }), (info.Domain, info.Reason));
        Assert.Equal("chunk.data", Assert.Single(status.GetDetail<BadRequest>()!.FieldViolations).Field);
        if (reason == PhotoRejectionReason.TooManyPixels)
        {
            Assert.Equal(("65500", "65500"), (refused.Limits["width"], refused.Limits["height"]));
            Assert.True(long.Parse(refused.Limits["max_pixels"], System.Globalization.CultureInfo.InvariantCulture) < 65500L * 65500);
        }

        Assert.Equal(1, proxy.Connections);
    }

    private byte[] Photo(string kind)
    {
        var jpeg = File.ReadAllBytes(TestPhotos.Jpeg(_photos, 320, 240, seed: 30));
        switch (kind)
        {
            case "bomb":
                // A real JPEG whose frame header claims 65,500 x 65,500 pixels.
                var sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65_500);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65_500);
                return jpeg;
            case "truncated":
                return jpeg[..(jpeg.Length / 2)];
            default:
                var noise = new byte[40_000];
                new Random(31).NextBytes(noise);
                return noise;
        }
    }
}

using Edge.Gateway.Imaging;
using Google.Rpc;
using Grpc.Core;

namespace Edge.Gateway.Tests.Imaging;

/// <summary>The status a photo refusal becomes: INVALID_ARGUMENT with a reason and the field at fault a device can act on.</summary>
public sealed class PhotoRefusalDetailsTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    [Theory]
    [InlineData(nameof(PhotoRejection.UnsupportedFormat), "UNSUPPORTED_FORMAT", "chunk.data")]
    [InlineData(nameof(PhotoRejection.TooManyPixels), "TOO_MANY_PIXELS", "chunk.data")]
    [InlineData(nameof(PhotoRejection.TooManyBytes), "TOO_MANY_BYTES", "start.size_bytes")]
    [InlineData(nameof(PhotoRejection.Damaged), "DAMAGED", "chunk.data")]
    public void PhotoRejected_CarriesErrorInfoAndBadRequest(string rejection, string reason, string field)
    {
        var status = Refuse(new PhotoRejectedException(Enum.Parse<PhotoRejection>(rejection), "Please take the photo again."));

        Assert.Equal((int)Code.InvalidArgument, status.Code);
        Assert.Equal("Please take the photo again.", status.Message);
        var info = status.GetDetail<ErrorInfo>()!;
        Assert.Equal((EdgeErrors.ErrorDomain, reason), (info.Domain, info.Reason));
        var violation = Assert.Single(status.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal((field, "Please take the photo again."), (violation.Field, violation.Description));
    }

    [Fact]
    public void PipelineRefusals_NameTheLimitsTheyBroke()
    {
        using var small = PipelineFixture.Create(new PhotoOptions { MaxBytes = 4096 });
        using var image = TestPhotos.Scene(400, 300);

        var bytes = Refuse(Assert.Throws<PhotoRejectedException>(() => small.CheckHeader(fixture.Source(TestPhotos.Jpeg(image)))));
        var pixels = Refuse(Assert.Throws<PhotoRejectedException>(() => fixture.Pipeline.CheckHeader(fixture.Source(PhotoHeaderTests.JpegBomb()))));
        var format = Refuse(Assert.Throws<PhotoRejectedException>(() => fixture.Pipeline.CheckHeader(fixture.Source(new byte[2048]))));

        Assert.Equal("4096", bytes.GetDetail<ErrorInfo>()!.Metadata["max_bytes"]);
        var limits = pixels.GetDetail<ErrorInfo>()!.Metadata;
        Assert.Equal(("65500", "65500", "16384", "50000000"), (limits["width"], limits["height"], limits["max_side"], limits["max_pixels"]));
        Assert.Equal("image/jpeg,image/png,image/heic", format.GetDetail<ErrorInfo>()!.Metadata["accepted"]);
    }

    private static Google.Rpc.Status Refuse(PhotoRejectedException rejection)
        => Assert.Throws<RpcException>(() => EdgeErrors.PhotoRejected(rejection)).GetRpcStatus()!;
}

using System.Security.Cryptography;
using Core.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Edge.CoreSim.Tests;

internal static class TestData
{
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static DeliverProofRequest Proof(string proofId, params string[] photoDigests)
    {
        var proof = new DeliverProofRequest
        {
            ProofId = proofId,
            DeviceId = "HH-0042",
            DriverId = "DRV-12345",
            RouteId = "R-0001",
            StopId = "R-0001-S001",
            DeliveredAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 20, 14, 30, 0, TimeSpan.Zero)),
            Location = new DeviceLocation { Latitude = 52.41, Longitude = -1.51, AccuracyMeters = 8 },
            PlaceLeft = PlaceLeft.FrontDoor,
        };
        proof.PackageIds.Add("R-0001-S001-P1");
        foreach (var digest in photoDigests)
        {
            proof.Photos.Add(new ProofPhoto { StoredSha256 = digest, ContentType = "image/jpeg" });
        }

        if (photoDigests.Length == 0)
        {
            proof.PhotoWithheld = true;
            proof.PhotoWithheldReason = "customer opt-out";
        }

        return proof;
    }

    public static ScanEvent Scan(string eventId) => new()
    {
        EventId = eventId,
        DeviceId = "HH-0042",
        DriverId = "DRV-12345",
        RouteId = "R-0001",
        PackageId = "R-0001-S001-P1",
        Barcode = "JJD00012345678901",
        Type = ScanType.OutForDelivery,
        ScannedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 20, 8, 5, 0, TimeSpan.Zero)),
    };

    /// <summary>Uploads <paramref name="bytes"/> in chunks, claiming <paramref name="claimedSha256"/> (the true digest by default).</summary>
    public static async Task<UploadBlobResponse> UploadAsync(Core.V1.Blobs.BlobsClient client, byte[] bytes, string? claimedSha256 = null, int chunkBytes = 64 * 1024)
    {
        using var call = client.UploadBlob();
        var header = new BlobHeader { Sha256 = claimedSha256 ?? Sha256(bytes), SizeBytes = bytes.Length, ContentType = "image/jpeg" };
        var offset = 0;
        do
        {
            var length = Math.Min(chunkBytes, bytes.Length - offset);
            var chunk = new BlobChunk { Data = ByteString.CopyFrom(bytes, offset, length) };
            if (offset == 0)
            {
                chunk.Header = header;
            }

            await call.RequestStream.WriteAsync(chunk);
            offset += length;
        }
        while (offset < bytes.Length);

        await call.RequestStream.CompleteAsync();
        return await call;
    }

    public static async Task<RpcException> ThrowsRpcAsync(StatusCode expected, Func<Task> action)
    {
        var exception = await Assert.ThrowsAsync<RpcException>(action);
        Assert.Equal(expected, exception.StatusCode);
        return exception;
    }
}

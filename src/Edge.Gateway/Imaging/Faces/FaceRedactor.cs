using System.Collections.Concurrent;
using ImageMagick;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>
/// Finds bystanders' faces in a photo and blurs them irreversibly (strong pixelation, then a blur, over each face's box
/// padded by <see cref="FaceRedactionOptions.Padding"/>). Decides which photos it applies to: every photo when
/// <see cref="FaceRedactionOptions.Enabled"/>, else those of devices working one of <see cref="FaceRedactionOptions.Routes"/>.
/// The model is loaded and checked on first use (and on start, when redaction is configured); one detector per photo
/// worker, reused.
/// </summary>
internal sealed class FaceRedactor : IDisposable
{
    /// <summary>Blocks across a face's longer side after pixelation: too few to recognise anyone.</summary>
    private const int PixelBlocks = 6;

    /// <summary>Pixels per block at which the pixelated face is blurred, before it is enlarged to the face's box.</summary>
    private const uint BlurPixelsPerBlock = 8;

    private readonly FaceRedactionOptions _options;
    private readonly HashSet<string> _routes;
    private readonly FaceSearch _search;
    private readonly ConcurrentBag<BlazeFace> _detectors = [];
    private readonly Lazy<byte[]> _model;

    public FaceRedactor(IOptions<FaceRedactionOptions> options)
    {
        _options = options.Value;
        _routes = new HashSet<string>(_options.Routes, StringComparer.Ordinal);
        _search = Search(_options);
        _model = new Lazy<byte[]>(() => FaceModel.Load(_options.ModelPath), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The search for faces these options ask for (see <see cref="Find"/>).</summary>
    internal static FaceSearch Search(FaceRedactionOptions options)
    {
        var threshold = (float)options.ScoreThreshold;
        return new(threshold, Grids: [], TileSide: 427, TileOverlap: 64, options.MaxFaceShare,
            CandidateThreshold: 0.2f, WholeCandidateThreshold: 0.4f, AcceptScore: Math.Max(0.7f, threshold));
    }

    /// <summary>
    /// Side in pixels of the picture searched for a photo side of <paramref name="photoSide"/>: 3/8 of it (a JPEG decoded
    /// at libjpeg's 3/8 scale), so a face of 80 px is 30 px in the picture and 24 px in the detector's input.
    /// </summary>
    public static long SearchSide(long photoSide) => ((photoSide * 3) + 7) / 8;

    /// <summary>Whether any photo may be redacted (on for the gateway or for some routes).</summary>
    public bool Configured => _options.Enabled || _routes.Count > 0;

    /// <summary>JPEG quality of a photo re-encoded because faces were blurred.</summary>
    public int JpegQuality => _options.JpegQuality;

    /// <summary>
    /// Whether a photo uploaded by a device working <paramref name="routes"/> is redacted. Null routes (an upload
    /// completed without its device, after a crash): redacted whenever any route is, so no face is kept by accident.
    /// </summary>
    public bool AppliesTo(IReadOnlySet<string>? routes)
        => _options.Enabled || (_routes.Count > 0 && (routes is null || routes.Any(_routes.Contains)));

    /// <summary>
    /// Faces in an upright picture (the photo, or a reduced copy of it), in the picture's pixels. The whole picture,
    /// reduced to the detector's 256, decides on the larger faces and proposes as candidates the boxes scoring 0.4 and
    /// more; 427-pixel tiles overlapping by at least 64 pixels, each reduced to 256 (a 1500x1125 picture: 4x3 tiles),
    /// propose the small ones from 0.2. A tile's candidate scoring 0.7 (or the threshold, if higher) is a face as it is;
    /// each other candidate not already found is checked by one more run on the picture around it, at its own size or
    /// reduced so it is 40 pixels tall, and must score the threshold there. About 13-27 runs for a 1500x1125 picture,
    /// 17-19 on average on the labelled sets (a 2x2 grid of tiles that decided on middle-sized faces took 4 more before;
    /// the whole picture's candidates replace it); faces from about 30 of its pixels are found.
    /// </summary>
    public List<FaceBox> Find(MagickImage picture)
    {
        if (!_detectors.TryTake(out var detector))
        {
            detector = new BlazeFace(_model.Value);
        }

        try
        {
            return FaceFinder.Find(detector, picture, _search);
        }
        finally
        {
            _detectors.Add(detector);
        }
    }

    /// <summary>Blurs <paramref name="faces"/> (in pixels of a picture <paramref name="scale"/> times smaller than <paramref name="image"/>).</summary>
    public void Blur(MagickImage image, IReadOnlyList<FaceBox> faces, double scale = 1)
    {
        foreach (var face in faces)
        {
            var (left, top, right, bottom) = PaddedBox(face, scale, (int)image.Width, (int)image.Height);
            var width = right - left;
            var height = bottom - top;
            // Averaged down to a few blocks (what the face was cannot be read back from them), blown up as blocks and
            // blurred so the blocks do not draw the eye. The blur is done at a few pixels per block and then enlarged
            // smoothly: the same look as blurring the box at full size (half a block), for a fraction of its cost (a
            // blur of a face filling a third of a 4000x3000 photo took over a second at full size). The box's pixels are
            // read once, averaged and enlarged here, and written back in place: ImageMagick's clone, enlargement and
            // composite of the box cost several times as much for a large face.
            var block = Math.Max(1.0, Math.Max(width, height) / (double)PixelBlocks);
            var blocksAcross = (int)Math.Max(1, Math.Round(width / block));
            var blocksDown = (int)Math.Max(1, Math.Round(height / block));
            using var box = RgbPicture.Read(image, left, top, width, height);
            using var blocks = box.Average(blocksAcross, blocksDown);
            using var pixelated = blocks.ToImage();
            pixelated.Sample(new MagickGeometry((uint)blocksAcross * BlurPixelsPerBlock, (uint)blocksDown * BlurPixelsPerBlock) { IgnoreAspectRatio = true });
            pixelated.Blur(0, BlurPixelsPerBlock / 2.0);
            using var blurred = RgbPicture.Read(pixelated);
            using var enlarged = blurred.Resize(0, 0, blurred.Width, blurred.Height, width, height);
            enlarged.Write(image, left, top);
        }
    }

    /// <summary>
    /// The box blurred for <paramref name="face"/>: padded by <see cref="FaceRedactionOptions.Padding"/> on each side,
    /// scaled by <paramref name="scale"/> and kept inside a picture of <paramref name="width"/> x <paramref name="height"/>.
    /// </summary>
    private PixelBox PaddedBox(FaceBox face, double scale, int width, int height)
    {
        var padX = face.Width * _options.Padding;
        var padY = face.Height * _options.Padding;
        var left = Math.Clamp((int)Math.Floor((face.X - padX) * scale), 0, width - 1);
        var top = Math.Clamp((int)Math.Floor((face.Y - padY) * scale), 0, height - 1);
        var right = Math.Clamp((int)Math.Ceiling((face.Right + padX) * scale), left + 1, width);
        var bottom = Math.Clamp((int)Math.Ceiling((face.Bottom + padY) * scale), top + 1, height);
        return new PixelBox(left, top, right, bottom);
    }

    /// <summary>
    /// Writes the JPEG <paramref name="jpeg"/> (metadata already stripped) to <paramref name="path"/> with
    /// <paramref name="faces"/> blurred. The faces are in pixels of <paramref name="picture"/>, the upright photo at a
    /// reduced size in which <see cref="Blur"/> has already blurred them.
    /// </summary>
    /// <returns>
    /// Null when only the 8x8 blocks under the faces were rewritten, from <paramref name="picture"/>, in the DCT domain
    /// (<see cref="JpegBlockRedaction"/>: the rest of the photo keeps its coefficients and its stored orientation).
    /// Otherwise why not (a CMYK or 12-bit JPEG, libturbojpeg missing), and the photo was decoded whole, turned upright
    /// by <paramref name="orientation"/>, blurred and re-encoded once at <see cref="JpegQuality"/> with its ICC profile
    /// (a CMYK photo converted to sRGB through it first, and stored as sRGB).
    /// </returns>
    /// <remarks>
    /// The orientation is given, not read from the bytes: the decoder does not take it from the minimal EXIF block the
    /// stripper leaves, and a photo left on its side would be stored sideways with every blur off its face.
    /// </remarks>
    public string? RedactJpeg(ReadOnlySpan<byte> jpeg, int orientation, IReadOnlyList<FaceBox> faces, MagickImage picture, string path)
    {
        var width = (int)picture.Width;
        var height = (int)picture.Height;
        using (var blurred = RgbPicture.Read(picture))
        {
            var boxes = faces.Select(face => PaddedBox(face, 1, width, height)).ToList();
            if (JpegBlockRedaction.TryWrite(jpeg, orientation, blurred, boxes, path, out var unsupported))
            {
                return null;
            }

            ReencodeJpeg(jpeg, orientation, faces, picture.Width, path);
            return unsupported;
        }
    }

    private void ReencodeJpeg(ReadOnlySpan<byte> jpeg, int orientation, IReadOnlyList<FaceBox> faces, uint searchedWidth, string path)
    {
        var settings = new MagickReadSettings { Format = MagickFormat.Jpeg };
        settings.SetDefines(new ImageMagick.Formats.JpegReadDefines
        {
            SkipProfiles = ImageMagick.Formats.JpegProfileTypes.App | ImageMagick.Formats.JpegProfileTypes.EightBim
                | ImageMagick.Formats.JpegProfileTypes.Exif | ImageMagick.Formats.JpegProfileTypes.Iptc | ImageMagick.Formats.JpegProfileTypes.Xmp,
        });
        using var photo = new MagickImage(jpeg, settings);
        photo.Orientation = (Orientation)orientation;
        photo.AutoOrient();
        PhotoColour.StripAllButColourProfile(photo);
        // Blurred in RGB: a CMYK photo's black ink would otherwise keep the face. It is stored as sRGB then.
        PhotoColour.ToRgb(photo);
        Blur(photo, faces, photo.Width / (double)searchedWidth);
        File.WriteAllBytes(path, EncodeJpeg(photo, _options.JpegQuality));
    }

    /// <summary>
    /// <paramref name="photo"/> as a JPEG of <paramref name="quality"/>, chroma subsampled 4:2:0 as phone cameras store
    /// photos, with the standard Huffman tables: ImageMagick's defaults for quality 90 and more (4:4:4, tables optimised
    /// in a second pass) cost about twice the CPU for a larger file.
    /// </summary>
    public static byte[] EncodeJpeg(MagickImage photo, int quality)
    {
        // What the decoder noted of the source JPEG: a CMYK source's colour space, left on the picture after its
        // conversion to sRGB, made the writer ignore the sampling asked for below and write 4:4:4.
        photo.RemoveAttribute("jpeg:colorspace");
        photo.RemoveAttribute("jpeg:sampling-factor");
        photo.Quality = (uint)quality;
        photo.Settings.SetDefines(new ImageMagick.Formats.JpegWriteDefines
        {
            SamplingFactor = ImageMagick.Formats.JpegSamplingFactor.Ratio420,
            OptimizeCoding = false,
        });
        return photo.ToByteArray(MagickFormat.Jpeg);
    }

    public void Dispose()
    {
        while (_detectors.TryTake(out var detector))
        {
            detector.Dispose();
        }
    }
}

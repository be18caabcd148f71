using System.Buffers;
using System.Diagnostics;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Imaging.Faces;
using Edge.V1;
using ImageMagick;
using ImageMagick.Formats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace Edge.Gateway.Imaging;

/// <summary>
/// Checks, strips, thumbnails and measures photos with Magick.NET on a bounded pool of worker threads.
/// </summary>
/// <remarks>
/// <para>
/// Order of work: the header (format sniffed from the bytes, dimensions, byte and pixel caps) is read on
/// the caller's thread in a few small reads, so a bomb is refused before it takes a queue slot or touches
/// the decoder. Everything else runs on a worker: the photo is decoded completely, with ImageMagick's
/// warnings treated as errors, and one decode feeds the thumbnail and the measurements.
/// </para>
/// <para>
/// JPEG: the stored file is the original with its metadata segments removed (no re-encode, so the pixels
/// are bit-identical); see <see cref="JpegMetadataStripper"/>. The decode that validates it asks libjpeg for
/// a reduced DCT scale (<c>jpeg:size</c>, e.g. 1/4 for a 4000 px photo; never above 1, so a small photo is
/// decoded at its own size). That is still a complete
/// validation of the stored file: libjpeg must Huffman-decode every coefficient of every block (scaling
/// happens only in the inverse DCT), so truncation, a marker inside the scan data and undecodable codes
/// raise the same warnings as at full scale; only the IDCT and colour conversion are cheaper. A bit flip
/// that still forms valid Huffman codes cannot be detected by any decoder, at any scale.
/// </para>
/// <para>
/// PNG and HEIC are decoded at full size and re-encoded without metadata: PNG as PNG (text, time and EXIF
/// chunks left out; colour chunks and the ICC profile kept), HEIC as JPEG with its ICC profile, so every
/// browser can show it in its own colours. Both are turned upright first, since their orientation does not
/// survive re-encoding.
/// </para>
/// <para>
/// Thumbnails and measures come from one picture at most <see cref="PhotoOptions.AnalysisSize"/> a side, never
/// larger than the photo, turned upright and converted to sRGB through the photo's ICC profile (a thumbnail
/// carries no profile, so viewers take it as sRGB).
/// </para>
/// </remarks>
internal sealed class MagickPhotoPipeline : IPhotoPipeline, IDisposable
{
    private readonly PhotoOptions _options;
    private readonly ILogger _logger;
    private readonly PhotoWorkerPool _workers;
    private readonly FaceRedactor? _faces;

    public MagickPhotoPipeline(IOptions<PhotoOptions> options, ILogger<MagickPhotoPipeline> logger, EdgeMetrics? metrics = null, FaceRedactor? faces = null)
    {
        _options = options.Value;
        _logger = logger;
        _faces = faces;
        if (OperatingSystem.IsLinux() && !NativeAllocator.AreSet())
        {
            ImagingLog.AllocatorDefaults(logger, NativeAllocator.Describe());
        }

        var limits = DecoderLimits.Apply(_options);
        ImagingLog.DecoderLimitsApplied(logger, limits.Width, limits.Height, limits.Area, limits.Memory, limits.Disk);
        if (faces is { Configured: true } && !TurboJpeg.IsAvailable)
        {
            ImagingLog.BlockRedactionUnavailable(logger, TurboJpeg.Library, faces.JpegQuality);
        }

        _workers = new PhotoWorkerPool(_options.Concurrency, _options.QueueLength, _options.BusyRetryAfter,
            _options.MaxPendingPerDevice, _options.WorkersPerDevice);
        metrics?.ObservePhotosPending(() => _workers.Pending);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <see cref="PhotoReport.Width"/> and <see cref="PhotoReport.Height"/> are the photo as displayed, that
    /// is after its orientation is applied (a portrait photo has width &lt; height).
    /// </remarks>
    public Task<ProcessedPhoto> ProcessAsync(PhotoSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            var header = CheckHeader(source);
            return _workers.RunAsync(source.DeviceId, token => Process(source, header, token), cancellationToken);
        }
        catch (PhotoRejectedException ex)
        {
            ImagingLog.PhotoRejected(_logger, source.Sha256, ex.Message);
            return Task.FromException<ProcessedPhoto>(ex);
        }
        catch (PhotoPipelineBusyException ex)
        {
            ImagingLog.PipelineBusy(_logger, source.Sha256, _workers.Pending);
            return Task.FromException<ProcessedPhoto>(ex);
        }
    }

    /// <summary>Format and caps, from the header alone.</summary>
    internal PhotoHeader CheckHeader(PhotoSource source)
    {
        using var file = File.OpenHandle(source.Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(file);
        if (length > _options.MaxBytes)
        {
            throw new PhotoRejectedException(PhotoRejection.TooManyBytes, PhotoMessages.TooManyBytes(length, _options.MaxBytes), PhotoMessages.ByteLimits(length, _options.MaxBytes));
        }

        var header = PhotoHeader.Read(file) ?? throw new PhotoRejectedException(PhotoRejection.UnsupportedFormat, PhotoMessages.UnsupportedFormat, PhotoMessages.FormatLimits);
        if (header.Width <= 0 || header.Height <= 0)
        {
            throw new PhotoRejectedException(PhotoRejection.Damaged, PhotoMessages.Damaged);
        }

        if (header.Width > _options.MaxSide || header.Height > _options.MaxSide || header.Width * header.Height > _options.MaxPixels)
        {
            throw TooManyPixels(header);
        }

        return header;
    }

    private PhotoRejectedException TooManyPixels(PhotoHeader header)
        => new(PhotoRejection.TooManyPixels, PhotoMessages.TooManyPixels(header.Width, header.Height, _options.MaxSide, _options.MaxPixels),
            PhotoMessages.PixelLimits(header.Width, header.Height, _options.MaxSide, _options.MaxPixels));

    // ImageMagick names a width, height or area limit "exceeds limit"; memory, disk and cache limits are other messages.
    private static bool IsPixelLimit(MagickException exception)
        => exception.Message.Contains("exceeds limit", StringComparison.OrdinalIgnoreCase)
            || exception.Message.Contains("WidthOrHeight", StringComparison.OrdinalIgnoreCase)
            || exception.Message.Contains("area", StringComparison.OrdinalIgnoreCase);

    private ProcessedPhoto Process(PhotoSource source, PhotoHeader header, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = header.Format switch
            {
                PhotoFormat.Jpeg => ProcessJpeg(source, header, cancellationToken),
                PhotoFormat.Png => ProcessReencoded(source, header, MagickFormat.Png, cancellationToken),
                _ => ProcessReencoded(source, header, MagickFormat.Heic, cancellationToken),
            };
            var report = result.Report!;
            ImagingLog.PhotoProcessed(_logger, source.Sha256, header.Format, report.Width, report.Height, report.Verdict.ToString(), report.MetadataStripped, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return result;
        }
        catch (PhotoRejectedException ex)
        {
            ImagingLog.PhotoRejected(_logger, source.Sha256, ex.Message);
            throw;
        }
        catch (MagickResourceLimitErrorException ex) when (!IsPixelLimit(ex))
        {
            // Memory or pixel cache used up by the photos being processed now: the photo is fine, the gateway is busy.
            ImagingLog.DecoderRefused(_logger, source.Sha256, header.Format, ex.Message);
            throw new PhotoPipelineBusyException(_options.BusyRetryAfter);
        }
        catch (MagickResourceLimitErrorException ex)
        {
            ImagingLog.DecoderRefused(_logger, source.Sha256, header.Format, ex.Message);
            throw TooManyPixels(header);
        }
        catch (Exception ex) when (ex is OutOfMemoryException or InsufficientMemoryException or MagickCacheErrorException)
        {
            ImagingLog.DecoderRefused(_logger, source.Sha256, header.Format, ex.Message);
            throw new PhotoPipelineBusyException(_options.BusyRetryAfter);
        }
        catch (MagickErrorException ex)
        {
            ImagingLog.DecoderRefused(_logger, source.Sha256, header.Format, ex.Message);
            throw new PhotoRejectedException(PhotoRejection.Damaged, PhotoMessages.Damaged);
        }
    }

    private ProcessedPhoto ProcessJpeg(PhotoSource source, PhotoHeader header, CancellationToken cancellationToken)
    {
        var original = ReadAll(source.Path, out var length);
        var stripped = new ArrayBufferWriter<byte>(length + 64);
        try
        {
            var strip = JpegMetadataStripper.Strip(original.AsSpan(0, length), stripped);
            cancellationToken.ThrowIfCancellationRequested();

            // Validate exactly what will be stored.
            // The size hint only ever scales down: libjpeg picks the smallest M/8 scale that still covers the hint, and a
            // hint larger than the photo would make it decode a small photo at twice its size. The ICC profile is read
            // (the thumbnail is converted to sRGB through it); every other profile is skipped.
            // Face detection wants 3/8 of the photo's resolution (faces of 80 px in a 4000 px photo keep 30 px).
            var (hintWidth, hintHeight) = source.RedactFaces
                ? (Math.Max(_options.AnalysisSize, FaceRedactor.SearchSide(header.Width)), Math.Max(_options.AnalysisSize, FaceRedactor.SearchSide(header.Height)))
                : (_options.AnalysisSize, _options.AnalysisSize);
            var settings = new MagickReadSettings { Format = MagickFormat.Jpeg };
            settings.SetDefines(new JpegReadDefines
            {
                Size = new MagickGeometry((uint)Math.Min(header.Width, hintWidth), (uint)Math.Min(header.Height, hintHeight)),
                SkipProfiles = JpegProfileTypes.App | JpegProfileTypes.EightBim | JpegProfileTypes.Exif | JpegProfileTypes.Iptc | JpegProfileTypes.Xmp,
            });
            using var image = Decode(stripped.WrittenSpan, settings);
            image.Orientation = (Orientation)strip.Orientation;

            var storedPath = source.Path;
            if (strip.MetadataRemoved)
            {
                storedPath = Path.Combine(source.WorkDirectory, "photo.jpg");
                using var output = new FileStream(storedPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
                output.Write(stripped.WrittenSpan);
            }

            var turned = strip.Orientation >= 5;
            var (width, height) = turned ? (header.Height, header.Width) : (header.Width, header.Height);
            var faces = FindFaces(source, image, cancellationToken);
            if (faces is { Count: > 0 })
            {
                // Faces: the blocks under them are rewritten from the blurred picture, or the photo is re-encoded once.
                storedPath = Path.Combine(source.WorkDirectory, "photo-redacted.jpg");
                if (_faces!.RedactJpeg(stripped.WrittenSpan, strip.Orientation, faces, image, storedPath) is { } reencodedBecause)
                {
                    ImagingLog.PhotoReencodedForFaces(_logger, source.Sha256, reencodedBecause);
                }
            }

            var report = Analyse(image, source, PhotoFormat.Jpeg, (int)width, (int)height, strip.MetadataRemoved, out var thumbnailPath, cancellationToken);
            Redacted(report, source, faces);
            return new ProcessedPhoto(storedPath, "image/jpeg", report, thumbnailPath);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(original);
        }
    }

    private ProcessedPhoto ProcessReencoded(PhotoSource source, PhotoHeader header, MagickFormat format, CancellationToken cancellationToken)
    {
        var original = ReadAll(source.Path, out var length);
        MagickImage image;
        try
        {
            image = Decode(original.AsSpan(0, length), new MagickReadSettings { Format = format, FrameIndex = 0, FrameCount = 1 });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(original);
        }

        using (image)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var hadMetadata = image.ProfileNames.Any(name => name is not ("icc" or "icm"))
                || image.AttributeNames.Any(name => !name.StartsWith("png:", StringComparison.Ordinal) && !name.StartsWith("date:", StringComparison.Ordinal))
                || !string.IsNullOrEmpty(image.Comment);
            image.AutoOrient();
            PhotoColour.StripAllButColourProfile(image);
            var faces = FindFacesInFullPicture(source, image, cancellationToken);

            string storedPath;
            string contentType;
            if (format == MagickFormat.Png)
            {
                storedPath = Path.Combine(source.WorkDirectory, "photo.png");
                contentType = "image/png";
                PngColourProfile.Write(image, storedPath);
            }
            else
            {
                storedPath = Path.Combine(source.WorkDirectory, "photo.jpg");
                contentType = "image/jpeg";
                using var stored = image.Clone();
                PhotoColour.ToDisplayable(stored);
                stored.Quality = (uint)_options.HeicToJpegQuality;
                stored.Write(storedPath, MagickFormat.Jpeg);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var report = Analyse(image, source, header.Format, (int)image.Width, (int)image.Height, metadataStripped: hadMetadata, out var thumbnailPath, cancellationToken);
            Redacted(report, source, faces);
            return new ProcessedPhoto(storedPath, contentType, report, thumbnailPath);
        }
    }

    /// <summary>
    /// Thumbnail, brightness, sharpness and hash from one decoded image, which this modifies. The image is only ever
    /// scaled down: a photo smaller than the analysis size is measured and thumbnailed at its own size.
    /// </summary>
    private PhotoReport Analyse(MagickImage image, PhotoSource source, PhotoFormat format, int width, int height, bool metadataStripped, out string thumbnailPath, CancellationToken cancellationToken)
    {
        image.AutoOrient();
        var analysisSize = (uint)_options.AnalysisSize;
        if (image.Width > analysisSize || image.Height > analysisSize)
        {
            RgbPicture.Reduce(image, (int)analysisSize);
        }

        // Colour-managed after the resize, on a few hundred thousand pixels instead of the whole photo.
        PhotoColour.ToSrgb(image);
        PhotoColour.ToDisplayable(image);

        thumbnailPath = Path.Combine(source.WorkDirectory, "thumbnail.jpg");
        using (var thumbnail = (MagickImage)image.Clone())
        {
            var size = (uint)_options.ThumbnailSize;
            if (thumbnail.Width > size || thumbnail.Height > size)
            {
                RgbPicture.Reduce(thumbnail, (int)size);
            }

            thumbnail.Quality = (uint)_options.ThumbnailQuality;
            thumbnail.Write(thumbnailPath, MagickFormat.Jpeg);
        }

        cancellationToken.ThrowIfCancellationRequested();
        image.Grayscale(PixelIntensityMethod.Rec601Luma);
        var w = (int)image.Width;
        var h = (int)image.Height;
        using var pixels = image.GetPixelsUnsafe();
        var luma = pixels.ToByteArray(0, 0, (uint)w, (uint)h, "R") ?? [];

        var brightness = PhotoMeasures.Brightness(luma);
        var sharpness = PhotoMeasures.Sharpness(luma, w, h);
        var verdict = brightness < _options.DarkBelow ? PhotoReport.Types.Verdict.TooDark
            : sharpness < _options.BlurryBelow ? PhotoReport.Types.Verdict.Blurry
            : PhotoReport.Types.Verdict.Ok;
        return new PhotoReport
        {
            Width = width,
            Height = height,
            Format = format.ToString().ToUpperInvariant(),
            Verdict = verdict,
            Brightness = Math.Round(brightness, 2),
            Sharpness = Math.Round(sharpness, 2),
            PerceptualHash = PhotoMeasures.ToHex(PhotoMeasures.DifferenceHash(luma, w, h)),
            MetadataStripped = metadataStripped,
        };
    }

    /// <summary>
    /// Faces in the decoded picture when the photo is to be redacted (null otherwise), after turning it upright; the
    /// picture is blurred where they are, so the thumbnail and the measures come from the redacted photo.
    /// </summary>
    private List<FaceBox>? FindFaces(PhotoSource source, MagickImage picture, CancellationToken cancellationToken)
    {
        if (!source.RedactFaces)
        {
            return null;
        }

        var faces = _faces ?? throw new InvalidOperationException("Face redaction was asked for but no face redactor is registered.");
        cancellationToken.ThrowIfCancellationRequested();
        picture.AutoOrient();
        // The detector and the blur read and write RGB: a CMYK photo's inks would be neither found nor wholly blurred.
        PhotoColour.ToRgb(picture);
        var found = faces.Find(picture);
        faces.Blur(picture, found);
        return found;
    }

    /// <summary>As <see cref="FindFaces"/>, for a photo decoded at full size: searched on a copy of 3/8 of its size.</summary>
    private List<FaceBox>? FindFacesInFullPicture(PhotoSource source, MagickImage image, CancellationToken cancellationToken)
    {
        if (!source.RedactFaces)
        {
            return null;
        }

        using var picture = (MagickImage)image.Clone();
        var side = (uint)Math.Max(_options.AnalysisSize, FaceRedactor.SearchSide(Math.Max(image.Width, image.Height)));
        if (image.Width > side || image.Height > side)
        {
            picture.Resize(new MagickGeometry(side, side), FilterType.Triangle);
        }

        var found = FindFaces(source, picture, cancellationToken)!;
        _faces!.Blur(image, found, image.Width / (double)picture.Width);
        return found;
    }

    private static void Redacted(PhotoReport report, PhotoSource source, List<FaceBox>? faces)
    {
        report.FacesChecked = source.RedactFaces;
        report.FacesBlurred = faces?.Count ?? 0;
    }

    /// <summary>Decodes completely; any decoder warning (corrupt or truncated data) rejects the photo.</summary>
    private static MagickImage Decode(ReadOnlySpan<byte> data, MagickReadSettings settings)
    {
        var image = new MagickImage();
        string? warning = null;
        image.Warning += (_, e) => warning ??= e.Message;
        try
        {
            image.Read(data, settings);
        }
        catch
        {
            image.Dispose();
            throw;
        }

        if (warning is not null)
        {
            image.Dispose();
            throw new MagickCorruptImageErrorException(warning);
        }

        return image;
    }

    private static byte[] ReadAll(string path, out int length)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        length = checked((int)RandomAccess.GetLength(file));
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(file, buffer.AsSpan(read, length - read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        length = read;
        return buffer;
    }

    public void Dispose() => _workers.Dispose();
}

using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Edge.Gateway.Imaging;

/// <summary>Format and stored dimensions of a photo, read from its header without decoding any pixels.</summary>
/// <param name="Format">The format sniffed from the content.</param>
/// <param name="Width">Stored width in pixels (before any orientation is applied).</param>
/// <param name="Height">Stored height in pixels (before any orientation is applied).</param>
internal readonly record struct PhotoHeader(PhotoFormat Format, long Width, long Height)
{
    /// <summary>Reads the header of the file behind <paramref name="file"/>.</summary>
    /// <returns>The header, or null when the content is not a JPEG, PNG or HEIC this reader understands.</returns>
    /// <remarks>
    /// Reads a few small ranges of the file (a JPEG's segment headers are walked in 8 KiB blocks, seeking over
    /// large bodies), so refusing a decompression bomb costs microseconds and no heap.
    /// </remarks>
    public static PhotoHeader? Read(SafeFileHandle file)
    {
        Span<byte> magic = stackalloc byte[12];
        if (RandomAccess.Read(file, magic, 0) < magic.Length)
        {
            return null;
        }

        if (magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF)
        {
            return ReadJpeg(file);
        }

        if (magic[..8].SequenceEqual(PngSignature))
        {
            return ReadPng(file);
        }

        if (magic.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            return ReadHeic(file);
        }

        return null;
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Walks marker segments up to the first SOFn, however many come before it: the file's length is already within the
    // byte cap, and the walk reads the file in blocks, so even a file of nothing but empty segments (4 bytes each)
    // costs one read per block, not one per segment.
    private static PhotoHeader? ReadJpeg(SafeFileHandle file)
    {
        var length = RandomAccess.GetLength(file);
        Span<byte> block = stackalloc byte[JpegBlockBytes];
        long blockStart = 0;
        var blockLength = 0;
        long position = 2;

        while (position + 4 <= length)
        {
            var head = Window(file, block, position, 4, ref blockStart, ref blockLength);
            if (head.IsEmpty || head[0] != 0xFF)
            {
                return null;
            }

            var marker = head[1];
            if (marker == 0xFF)
            {
                position++; // fill byte
                continue;
            }

            if (marker is 0xD8 or 0xD9 or 0xDA || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01)
            {
                return null; // no frame header before the image data or the end
            }

            int segmentLength = BinaryPrimitives.ReadUInt16BigEndian(head.Slice(2, 2));
            if (segmentLength < 2 || position + 2 + segmentLength > length)
            {
                return null;
            }

            if (IsStartOfFrame(marker))
            {
                var frame = segmentLength < 8 ? default : Window(file, block, position, 9, ref blockStart, ref blockLength);
                if (frame.IsEmpty)
                {
                    return null;
                }

                long height = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(5, 2));
                long width = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(7, 2));
                return new PhotoHeader(PhotoFormat.Jpeg, width, height);
            }

            position += 2 + segmentLength;
        }

        return null;
    }

    private const int JpegBlockBytes = 8192;

    /// <summary>The bytes [at, at + count) from <paramref name="block"/>, refilled from the file when they are not all in it; empty past the end.</summary>
    private static ReadOnlySpan<byte> Window(SafeFileHandle file, Span<byte> block, long at, int count, ref long blockStart, ref int blockLength)
    {
        if (at < blockStart || at + count > blockStart + blockLength)
        {
            blockStart = at;
            blockLength = RandomAccess.Read(file, block, at);
        }

        var offset = (int)(at - blockStart);
        return offset + count <= blockLength ? block.Slice(offset, count) : default;
    }

    /// <summary>SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).</summary>
    public static bool IsStartOfFrame(byte marker)
        => marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC);

    private static PhotoHeader? ReadPng(SafeFileHandle file)
    {
        Span<byte> ihdr = stackalloc byte[16];
        if (RandomAccess.Read(file, ihdr, 8) < ihdr.Length
            || BinaryPrimitives.ReadUInt32BigEndian(ihdr) != 13
            || !ihdr.Slice(4, 4).SequenceEqual("IHDR"u8))
        {
            return null;
        }

        return new PhotoHeader(
            PhotoFormat.Png,
            BinaryPrimitives.ReadUInt32BigEndian(ihdr.Slice(8, 4)),
            BinaryPrimitives.ReadUInt32BigEndian(ihdr.Slice(12, 4)));
    }

    // HEIF brands whose images are HEVC coded (or the generic image brands iPhones and cameras also list).
    private static readonly HashSet<string> HeicBrands =
        ["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1"];

    private const int MaxMetaBoxBytes = 4 * 1024 * 1024;

    private static PhotoHeader? ReadHeic(SafeFileHandle file)
    {
        var length = RandomAccess.GetLength(file);
        Span<byte> boxHeader = stackalloc byte[16];
        long position = 0;
        var brandsChecked = false;
        for (var boxes = 0; boxes < 64 && position < length; boxes++)
        {
            if (RandomAccess.Read(file, boxHeader, position) < 8)
            {
                return null;
            }

            long size = BinaryPrimitives.ReadUInt32BigEndian(boxHeader);
            var type = boxHeader.Slice(4, 4);
            var headerSize = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(boxHeader.Slice(8, 8));
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = length - position;
            }

            if (size < headerSize || size > length - position)
            {
                return null;
            }

            if (!brandsChecked)
            {
                // The first box must be ftyp with a HEIC brand and no AVIF brand.
                if (!type.SequenceEqual("ftyp"u8) || size > 4096 || !HasHeicBrand(file, position + headerSize, (int)size - headerSize))
                {
                    return null;
                }

                brandsChecked = true;
            }
            else if (type.SequenceEqual("meta"u8))
            {
                if (size > MaxMetaBoxBytes)
                {
                    return null;
                }

                var meta = new byte[size - headerSize];
                if (RandomAccess.Read(file, meta, position + headerSize) < meta.Length || meta.Length < 4)
                {
                    return null;
                }

                // meta is a FullBox: version and flags, then child boxes. Sizes live in iprp/ipco/ispe.
                long width = 0;
                long height = 0;
                var ipco = FindChild(FindChild(meta.AsSpan(4), "iprp"u8), "ipco"u8);
                while (ipco.Length >= 8)
                {
                    var childSize = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(ipco), int.MaxValue);
                    if (childSize < 8 || childSize > ipco.Length)
                    {
                        return null;
                    }

                    if (ipco.Slice(4, 4).SequenceEqual("ispe"u8) && childSize >= 20)
                    {
                        // The largest extent of any item (a grid and its tiles alike) is what the caps apply to.
                        width = Math.Max(width, BinaryPrimitives.ReadUInt32BigEndian(ipco.Slice(12, 4)));
                        height = Math.Max(height, BinaryPrimitives.ReadUInt32BigEndian(ipco.Slice(16, 4)));
                    }

                    ipco = ipco[childSize..];
                }

                return width > 0 && height > 0 ? new PhotoHeader(PhotoFormat.Heic, width, height) : null;
            }

            position += size;
        }

        return null;
    }

    private static bool HasHeicBrand(SafeFileHandle file, long offset, int length)
    {
        if (length < 8)
        {
            return false;
        }

        Span<byte> body = stackalloc byte[length];
        if (RandomAccess.Read(file, body, offset) < length)
        {
            return false;
        }

        var heic = false;
        // major brand, minor version, then compatible brands
        for (var i = 0; i + 4 <= length; i += i == 0 ? 8 : 4)
        {
            var brand = System.Text.Encoding.ASCII.GetString(body.Slice(i, 4));
            if (brand is "avif" or "avis")
            {
                return false;
            }

            heic |= HeicBrands.Contains(brand);
        }

        return heic;
    }

    private static ReadOnlySpan<byte> FindChild(ReadOnlySpan<byte> boxes, ReadOnlySpan<byte> type)
    {
        while (boxes.Length >= 8)
        {
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(boxes), int.MaxValue);
            if (size < 8 || size > boxes.Length)
            {
                return default;
            }

            if (boxes.Slice(4, 4).SequenceEqual(type))
            {
                return boxes[8..size];
            }

            boxes = boxes[size..];
        }

        return default;
    }
}

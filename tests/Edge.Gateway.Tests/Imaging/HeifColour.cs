using System.Buffers.Binary;

namespace Edge.Gateway.Tests.Imaging;

/// <summary>
/// Gives a HEIC file an ICC profile the way iPhones carry one: a <c>colr</c> property of type <c>prof</c> associated
/// with the primary item. Magick.NET cannot write HEIC here (no HEVC encoder), so the test photo is the committed
/// HEIC with its boxes edited.
/// </summary>
internal static class HeifColour
{
    /// <summary>
    /// A copy of <paramref name="heic"/> with a <c>colr</c> box holding <paramref name="icc"/> appended to
    /// <c>ipco</c> and associated with item 1; the sizes of the boxes around it and the item locations behind it are
    /// moved by what was inserted. Handles what heif-enc writes: ipma version 0 with 1-byte associations, iloc version
    /// 0 or 1 with 4-byte extent offsets into the file, before the properties.
    /// </summary>
    public static byte[] WithIccProfile(byte[] heic, byte[] icc)
    {
        var meta = Find(heic, 0, heic.Length, "meta");
        var metaChildren = meta.Start + 12; // FullBox
        var iprp = Find(heic, metaChildren, meta.End, "iprp");
        var ipco = Find(heic, iprp.Start + 8, iprp.End, "ipco");
        var ipma = Find(heic, iprp.Start + 8, iprp.End, "ipma");
        var iloc = Find(heic, metaChildren, meta.End, "iloc");
        Assert.Equal(0, heic[ipma.Start + 8]); // version 0
        Assert.Equal(0, heic[ipma.Start + 11] & 1); // 1-byte associations
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(heic.AsSpan(ipma.Start + 12))); // one item: the image
        Assert.True(iloc.End <= ipco.Start);

        var properties = 0;
        for (var at = ipco.Start + 8; at < ipco.End; at += (int)BinaryPrimitives.ReadUInt32BigEndian(heic.AsSpan(at)))
        {
            properties++;
        }

        byte[] colr = [0, 0, 0, 0, .. "colrprof"u8, .. icc];
        BinaryPrimitives.WriteUInt32BigEndian(colr, (uint)colr.Length);

        // ipma: entry_count, then per entry item_ID (2), association_count (1), associations (1 each).
        var entry = ipma.Start + 16;
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(heic.AsSpan(entry)));
        var associations = heic[entry + 2];
        var inserted = colr.Length + 1;
        byte[] result =
        [
            .. heic[..ipco.End], .. colr,
            .. heic[ipco.End..(entry + 3 + associations)], (byte)(0x80 | (properties + 1)),
            .. heic[(entry + 3 + associations)..],
        ];
        var resultEntry = entry + colr.Length;
        result[resultEntry + 2]++;
        Grow(result, meta.Start, inserted);
        Grow(result, iprp.Start, inserted);
        Grow(result, ipco.Start, colr.Length);
        Grow(result, ipma.Start + colr.Length, 1);
        ShiftItemLocations(result, iloc.Start, inserted);
        return result;
    }

    private static (int Start, int End) Find(byte[] data, int from, int end, string type)
    {
        for (var at = from; at + 8 <= end;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            if (System.Text.Encoding.ASCII.GetString(data, at + 4, 4) == type)
            {
                return (at, at + size);
            }

            at += size;
        }

        throw new InvalidDataException($"no {type} box");
    }

    private static void Grow(byte[] data, int box, int by)
        => BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(box), BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(box)) + (uint)by);

    private static void ShiftItemLocations(byte[] data, int iloc, int by)
    {
        var version = data[iloc + 8];
        var offsetSize = data[iloc + 12] >> 4;
        var lengthSize = data[iloc + 12] & 0xF;
        var baseOffsetSize = data[iloc + 13] >> 4;
        var indexSize = version == 1 ? data[iloc + 13] & 0xF : 0;
        Assert.Equal(4, offsetSize);
        int count = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(iloc + 14));
        var at = iloc + 16;
        for (var item = 0; item < count; item++)
        {
            at += 2; // item_ID
            if (version == 1)
            {
                Assert.Equal(0, data[at + 1] & 0xF); // construction method 0: offsets into the file
                at += 2;
            }

            at += 2 + baseOffsetSize; // data_reference_index, base_offset (the extents' offsets are moved instead)
            int extents = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at));
            at += 2;
            for (var extent = 0; extent < extents; extent++)
            {
                at += indexSize;
                Grow(data, at, by);
                at += offsetSize + lengthSize;
            }
        }
    }
}

using System.Buffers.Binary;
using System.Numerics;

namespace Edge.Client.Uploads;

/// <summary>
/// CRC-32C (Castagnoli) of a chunk, as the gateway checks it. <see cref="BitOperations.Crc32C(uint, ulong)"/> uses the
/// CPU's CRC instruction where there is one (ARMv8 handhelds have it) and a table otherwise.
/// </summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}

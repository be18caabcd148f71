using System.Buffers.Binary;
using System.Numerics;

namespace Edge.Shared;

/// <summary>
/// CRC-32C (Castagnoli), as gRPC and cloud storage APIs use it. System.IO.Hashing has only CRC-32 (IEEE), so this uses
/// <see cref="BitOperations.Crc32C(uint, ulong)"/>, which runs on the CPU's CRC instruction where there is one.
/// </summary>
internal static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
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

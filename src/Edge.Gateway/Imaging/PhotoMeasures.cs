namespace Edge.Gateway.Imaging;

/// <summary>Brightness, sharpness and perceptual hash of an 8-bit grayscale (luma) raster.</summary>
internal static class PhotoMeasures
{
    /// <summary>Mean luma, 0-255.</summary>
    public static double Brightness(ReadOnlySpan<byte> luma)
    {
        if (luma.IsEmpty)
        {
            return 0;
        }

        long sum = 0;
        foreach (var value in luma)
        {
            sum += value;
        }

        return (double)sum / luma.Length;
    }

    /// <summary>
    /// Variance of the 4-neighbour Laplacian over the interior pixels: edges give large responses,
    /// so a blurred or shaken photo scores low.
    /// </summary>
    public static double Sharpness(ReadOnlySpan<byte> luma, int width, int height)
    {
        if (width < 3 || height < 3)
        {
            return 0;
        }

        double sum = 0;
        double sumOfSquares = 0;
        for (var y = 1; y < height - 1; y++)
        {
            var above = luma.Slice((y - 1) * width, width);
            var row = luma.Slice(y * width, width);
            var below = luma.Slice((y + 1) * width, width);
            long rowSum = 0;
            long rowSquares = 0;
            for (var x = 1; x < width - 1; x++)
            {
                var laplacian = above[x] + below[x] + row[x - 1] + row[x + 1] - (4 * row[x]);
                rowSum += laplacian;
                rowSquares += laplacian * laplacian;
            }

            sum += rowSum;
            sumOfSquares += rowSquares;
        }

        double count = (double)(width - 2) * (height - 2);
        var mean = sum / count;
        return Math.Max(0, (sumOfSquares / count) - (mean * mean));
    }

    /// <summary>
    /// 64-bit difference hash: the raster averaged down to 9x8 cells, one bit per horizontally adjacent
    /// pair (set when the left cell is darker than the right), row by row, most significant bit first.
    /// </summary>
    public static ulong DifferenceHash(ReadOnlySpan<byte> luma, int width, int height)
    {
        const int Columns = 9;
        const int Rows = 8;
        Span<double> cells = stackalloc double[Columns * Rows];
        for (var row = 0; row < Rows; row++)
        {
            var y0 = row * height / Rows;
            var y1 = Math.Max(y0 + 1, (row + 1) * height / Rows);
            for (var column = 0; column < Columns; column++)
            {
                var x0 = column * width / Columns;
                var x1 = Math.Max(x0 + 1, (column + 1) * width / Columns);
                long sum = 0;
                for (var y = y0; y < y1 && y < height; y++)
                {
                    foreach (var value in luma.Slice((y * width) + x0, Math.Min(x1, width) - x0))
                    {
                        sum += value;
                    }
                }

                cells[(row * Columns) + column] = (double)sum / ((y1 - y0) * (x1 - x0));
            }
        }

        ulong hash = 0;
        for (var row = 0; row < Rows; row++)
        {
            for (var column = 0; column < Columns - 1; column++)
            {
                hash <<= 1;
                if (cells[(row * Columns) + column] < cells[(row * Columns) + column + 1])
                {
                    hash |= 1;
                }
            }
        }

        return hash;
    }

    /// <summary>16 lowercase hex characters.</summary>
    public static string ToHex(ulong hash) => hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}

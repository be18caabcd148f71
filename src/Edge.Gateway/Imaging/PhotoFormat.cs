namespace Edge.Gateway.Imaging;

/// <summary>The photo formats the gateway accepts, as sniffed from the content.</summary>
internal enum PhotoFormat
{
    Jpeg,
    Png,
    Heic,
}

using Edge.V1;
using Google.Protobuf;

namespace Edge.Client.Outbox;

/// <summary>A photo file the app gave with a proof, deleted once the core committed the proof (unless the app keeps originals).</summary>
/// <param name="Path">Where the app's file is.</param>
/// <param name="Sha256">Its digest when the proof was queued: a file that changed since is another photo, and stays.</param>
internal sealed record OriginalPhoto(string Path, string Sha256);

/// <summary>A proof in the outbox: the request to submit, and the app's photo files it was made from.</summary>
internal sealed record QueuedProof(SubmitProofRequest Request, IReadOnlyList<OriginalPhoto> Originals)
{
    private const int RequestField = 1;
    private const int OriginalPathField = 2;
    private const int OriginalDigestField = 3;

    /// <summary>The stored form: field 1 the request, then each original as field 2 (path) and field 3 (digest), protobuf-encoded.</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(RequestField, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Request.ToByteString());
        foreach (var original in Originals)
        {
            output.WriteTag(OriginalPathField, WireFormat.WireType.LengthDelimited);
            output.WriteString(original.Path);
            output.WriteTag(OriginalDigestField, WireFormat.WireType.LengthDelimited);
            output.WriteString(original.Sha256);
        }

        output.Flush();
        return buffer.ToArray();
    }

    /// <exception cref="InvalidProtocolBufferException">Not protobuf.</exception>
    /// <exception cref="DamagedEntryException">No request in it.</exception>
    public static QueuedProof Parse(byte[] stored)
    {
        var input = new CodedInputStream(stored);
        SubmitProofRequest? request = null;
        var originals = new List<OriginalPhoto>();
        string? path = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case RequestField:
                    request = SubmitProofRequest.Parser.ParseFrom(input.ReadBytes());
                    break;
                case OriginalPathField:
                    path = input.ReadString();
                    break;
                case OriginalDigestField when path is not null:
                    originals.Add(new OriginalPhoto(path, input.ReadString()));
                    path = null;
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new QueuedProof(request ?? throw new DamagedEntryException("it holds no proof"), originals);
    }
}

/// <summary>Deletes the app's photo files of a committed proof.</summary>
internal static class OriginalPhotos
{
    /// <summary>Deletes each file that still holds the photo it held when its proof was queued; others are left alone.</summary>
    public static void Delete(IEnumerable<OriginalPhoto> originals)
    {
        foreach (var original in originals)
        {
            try
            {
                string digest;
                using (var file = new FileStream(original.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
                {
                    digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file));
                }

                if (digest == original.Sha256)
                {
                    File.Delete(original.Path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Already gone, or not the SDK's to touch: nothing to delete.
            }
        }
    }
}

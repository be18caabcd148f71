using Google.Protobuf;

namespace Edge.CoreSim.Storage;

/// <summary>
/// Stores two messages as one record: the protobuf encoding of a message whose field 1 is the first and field 2
/// the second, so a record stays readable by any protobuf tool.
/// </summary>
internal static class MessagePair
{
    public static byte[] Encode(IMessage first, IMessage second)
    {
        var tagSize = CodedOutputStream.ComputeTagSize(1);
        var buffer = new byte[(2 * tagSize) + CodedOutputStream.ComputeMessageSize(first) + CodedOutputStream.ComputeMessageSize(second)];
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(first);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(second);
        output.CheckNoSpaceLeft();
        return buffer;
    }

    /// <summary>Merges the record's two fields into <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static void Decode(byte[] record, IMessage first, IMessage second)
    {
        var input = new CodedInputStream(record);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    input.ReadMessage(first);
                    break;
                case 2:
                    input.ReadMessage(second);
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
    }
}

using Edge.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Edge.Gateway.Manifests;

/// <summary>
/// A <c>GetManifestResponse</c> already in wire form. A 120-stop manifest is some 20-30 KB of protobuf; serializing it
/// for every call would cost more than the rest of a cache hit, so each cached version is serialized once and its
/// bytes are written as they are.
/// </summary>
internal sealed class ManifestReply(byte[] payload)
{
    public byte[] Payload { get; } = payload;

    public static ManifestReply From(GetManifestResponse response) => new(response.ToByteArray());

    public GetManifestResponse Parse() => GetManifestResponse.Parser.ParseFrom(Payload);
}

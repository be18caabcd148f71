using Edge.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Edge.Gateway.Manifests;

/// <summary>
/// <c>edge.v1.Manifests</c> with the same methods and wire format as the generated base class, but with responses
/// written from <see cref="ManifestReply"/> bytes. Reflection finds the service's descriptor through
/// <see cref="Descriptor"/>.
/// </summary>
[BindServiceMethod(typeof(ManifestsServiceBase), nameof(BindService))]
internal abstract class ManifestsServiceBase
{
    private static readonly Marshaller<ManifestReply> ReplyMarshaller = Marshallers.Create(
        static (reply, context) => reply.WriteTo(context),
        static context => new ManifestReply(context.PayloadAsNewBuffer()));

    public static readonly Method<GetManifestRequest, ManifestReply> GetManifestMethod = new(
        MethodType.Unary, V1.Manifests.Descriptor.FullName, "GetManifest", Marshaller(GetManifestRequest.Parser), ReplyMarshaller);

    public static readonly Method<WatchManifestRequest, ManifestReply> WatchManifestMethod = new(
        MethodType.ServerStreaming, V1.Manifests.Descriptor.FullName, "WatchManifest", Marshaller(WatchManifestRequest.Parser), ReplyMarshaller);

    /// <summary>The service's protobuf descriptor (looked up by name by the reflection service).</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => V1.Manifests.Descriptor;

    public abstract Task<ManifestReply> GetManifest(GetManifestRequest request, ServerCallContext context);

    public abstract Task WatchManifest(WatchManifestRequest request, IServerStreamWriter<ManifestReply> responseStream, ServerCallContext context);

    public static void BindService(ServiceBinderBase binder, ManifestsServiceBase? service)
    {
        binder.AddMethod(GetManifestMethod, service is null ? null : service.GetManifest);
        binder.AddMethod(WatchManifestMethod, service is null ? null : service.WatchManifest);
    }

    private static Marshaller<T> Marshaller<T>(MessageParser<T> parser)
        where T : class, IMessage<T>
        => Marshallers.Create(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}

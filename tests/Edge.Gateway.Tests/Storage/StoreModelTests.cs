using System.Reflection;
using Edge.Gateway.Blobs;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Manifests;
using Edge.Gateway.Proofs;
using Edge.Gateway.Proofs.Reuse;
using Edge.Gateway.Scans;
using Edge.Gateway.Storage;

namespace Edge.Gateway.Tests.Storage;

/// <summary>
/// The store interfaces speak the gateway's own model: no <c>edge.v1</c>/<c>core.v1</c> message, protobuf or gRPC type
/// in what they take or return, nor in the records those are made of.
/// </summary>
public sealed class StoreModelTests
{
    private static readonly string[] WireNamespaces = ["Edge.V1", "Core.V1", "Google.Protobuf", "Grpc.Core", "Google.Rpc"];

    [Theory]
    [InlineData(typeof(IUploadSessionStore))]
    [InlineData(typeof(IBlobIndex))]
    [InlineData(typeof(IScanStore))]
    [InlineData(typeof(IOutbox))]
    [InlineData(typeof(IDeadLetters))]
    [InlineData(typeof(IProofStore))]
    [InlineData(typeof(IReceiptFeed))]
    [InlineData(typeof(IPhotoPrintIndex))]
    [InlineData(typeof(IManifestVersionBus))]
    public void StoreInterface_NamesNoWireType(Type store)
        => Assert.Empty(WireTypesIn(store));

    /// <summary>
    /// The one exception, on purpose: the manifest cache keeps the core's route manifest as the <c>edge.v1</c> reply it
    /// is served as, and the reply serialized once (docs/architecture.md). Listed here so that a new wire type in the
    /// manifest store is noticed too.
    /// </summary>
    [Fact]
    public void ManifestStore_HoldsOnlyTheServedReply()
        => Assert.Equal(
            ["Edge.V1.GetManifestResponse", "Edge.V1.Stop", "Grpc.Core.SerializationContext", "Grpc.Core.WriteOptions"],
            WireTypesIn(typeof(IManifestStore)).Order(StringComparer.Ordinal));

    /// <summary>Wire types reachable from the interface's signatures through the gateway's own types' public members.</summary>
    private static HashSet<string> WireTypesIn(Type store)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<Type>();
        var pending = new Queue<Type>();
        foreach (var method in store.GetMethods())
        {
            pending.Enqueue(method.ReturnType);
            foreach (var parameter in method.GetParameters())
            {
                pending.Enqueue(parameter.ParameterType);
            }
        }

        while (pending.TryDequeue(out var type))
        {
            if (type.IsByRef || type.IsArray || type.IsPointer)
            {
                pending.Enqueue(type.GetElementType()!);
                continue;
            }

            if (!seen.Add(type))
            {
                continue;
            }

            if (WireNamespaces.Any(ns => type.Namespace is { } name && (name == ns || name.StartsWith(ns + ".", StringComparison.Ordinal))))
            {
                found.Add(type.FullName!);
                continue;
            }

            foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
            {
                pending.Enqueue(argument);
            }

            if (type.Assembly != typeof(IProofStore).Assembly || type.IsEnum)
            {
                continue;
            }

            // Delegates (a receipt callback) are followed through their Invoke signature like any member.
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                switch (member)
                {
                    case PropertyInfo property:
                        pending.Enqueue(property.PropertyType);
                        break;
                    case MethodInfo method when !method.IsSpecialName:
                        pending.Enqueue(method.ReturnType);
                        foreach (var parameter in method.GetParameters())
                        {
                            pending.Enqueue(parameter.ParameterType);
                        }

                        break;
                }
            }
        }

        return found;
    }
}

using System.Diagnostics.CodeAnalysis;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Edge.Gateway;

/// <summary>
/// The gRPC errors the gateway returns, each with the status code its name says and, where it helps a client,
/// <c>google.rpc</c> details (field violations, a retry delay). Messages are bounded (<see cref="ClientText"/>): callers
/// bound each client string they quote, and a message still too long is cut here, so a status always fits a header.
/// </summary>
internal static class EdgeErrors
{
    [DoesNotReturn]
    public static void InvalidArgument(string field, string description)
        => throw Build(Code.InvalidArgument, $"{field}: {description}",
            new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } });

    [DoesNotReturn]
    public static void InvalidArgument(string message) => throw Build(Code.InvalidArgument, message);

    [DoesNotReturn]
    public static void FailedPrecondition(string message) => throw Build(Code.FailedPrecondition, message);

    [DoesNotReturn]
    public static void NotFound(string message) => throw Build(Code.NotFound, message);

    [DoesNotReturn]
    public static void DataLoss(string message) => throw Build(Code.DataLoss, message);

    [DoesNotReturn]
    public static void PermissionDenied(string message) => throw Build(Code.PermissionDenied, message);

    [DoesNotReturn]
    public static void Aborted(string message) => throw Build(Code.Aborted, message);

    [DoesNotReturn]
    public static void ResourceExhausted(string message, TimeSpan retryAfter)
        => throw Build(Code.ResourceExhausted, message, new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) });

    [DoesNotReturn]
    public static void Unavailable(string message, TimeSpan retryAfter)
        => throw Build(Code.Unavailable, message, new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) });

    /// <summary>
    /// A photo the gateway will not take: <c>INVALID_ARGUMENT</c> with the driver's message, <c>google.rpc.ErrorInfo</c>
    /// (domain <see cref="ErrorDomain"/>, reason <c>UNSUPPORTED_FORMAT</c>, <c>TOO_MANY_PIXELS</c>, <c>TOO_MANY_BYTES</c>
    /// or <c>DAMAGED</c>, the limits in its metadata) and <c>google.rpc.BadRequest</c> naming the field at fault.
    /// </summary>
    [DoesNotReturn]
    public static void PhotoRejected(Imaging.PhotoRejectedException rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        var info = new ErrorInfo { Reason = rejection.ErrorReason, Domain = ErrorDomain };
        foreach (var (name, value) in rejection.Limits)
        {
            info.Metadata[name] = value;
        }

        var field = new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = rejection.Field, Description = rejection.Message } } };
        throw new Google.Rpc.Status { Code = (int)Code.InvalidArgument, Message = rejection.Message, Details = { Any.Pack(info), Any.Pack(field) } }.ToRpcException();
    }

    /// <summary>The <c>google.rpc.ErrorInfo</c> domain of the gateway's machine-readable reasons.</summary>
    public const string ErrorDomain = "edge.v1";

    private static RpcException Build(Code code, string message, Google.Protobuf.IMessage? detail = null)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = ClientText.Bound(message, ClientText.MaxMessageLength) };
        if (detail is not null)
        {
            status.Details.Add(Any.Pack(detail));
        }

        return status.ToRpcException();
    }
}

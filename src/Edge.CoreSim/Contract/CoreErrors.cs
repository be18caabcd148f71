using System.Diagnostics.CodeAnalysis;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Edge.CoreSim.Contract;

/// <summary>The status codes the core answers with, each with the details its callers rely on.</summary>
internal static class CoreErrors
{
    /// <summary>INVALID_ARGUMENT with a google.rpc.BadRequest listing the offending fields.</summary>
    [DoesNotReturn]
    public static void InvalidArgument(string message, IEnumerable<BadRequest.Types.FieldViolation> violations)
    {
        var badRequest = new BadRequest();
        badRequest.FieldViolations.AddRange(violations);
        throw Status(Code.InvalidArgument, message, badRequest);
    }

    [DoesNotReturn]
    public static void InvalidArgument(string field, string description)
        => InvalidArgument(description, [new BadRequest.Types.FieldViolation { Field = field, Description = description }]);

    /// <summary>FAILED_PRECONDITION with a google.rpc.PreconditionFailure naming each missing blob.</summary>
    [DoesNotReturn]
    public static void BlobsMissing(IReadOnlyCollection<string> digests)
    {
        var failure = new PreconditionFailure();
        foreach (var digest in digests)
        {
            failure.Violations.Add(new PreconditionFailure.Types.Violation
            {
                Type = "BLOB_MISSING",
                Subject = digest,
                Description = "Upload this blob through core.v1.Blobs before delivering the proof.",
            });
        }

        throw Status(Code.FailedPrecondition, $"{digests.Count} referenced blob(s) are not held by the core.", failure);
    }

    [DoesNotReturn]
    public static void DataLoss(string message) => throw new RpcException(new Grpc.Core.Status(StatusCode.DataLoss, message));

    [DoesNotReturn]
    public static void NotFound(string message) => throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, message));

    /// <summary>UNAVAILABLE with a google.rpc.RetryInfo saying when to try again.</summary>
    public static RpcException Unavailable(string message, TimeSpan retryAfter)
        => Status(Code.Unavailable, message, new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) });

    private static RpcException Status(Code code, string message, Google.Protobuf.IMessage detail)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.Add(Any.Pack(detail));
        return status.ToRpcException();
    }
}

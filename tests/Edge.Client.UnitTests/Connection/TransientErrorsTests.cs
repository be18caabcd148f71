using System.Net.Http;
using Edge.Client.Connection;
using Grpc.Core;

namespace Edge.Client.UnitTests.Connection;

/// <summary>A cut is the connection breaking under a call; a status the gateway sent is not one.</summary>
public sealed class TransientErrorsTests
{
    [Fact]
    public void IsCut_TransportFailedUnderTheCall_IsACut()
    {
        // Grpc.Net.Client's own statuses for a broken connection carry the transport's exception.
        var reset = new RpcException(new Status(StatusCode.Unavailable, "Error reading next message.", new IOException("Connection reset by peer")));

        Assert.True(TransientErrors.IsCut(reset));
        Assert.True(TransientErrors.IsCut(new IOException("broken pipe")));
        Assert.True(TransientErrors.IsCut(new HttpRequestException("Connection refused")));
    }

    [Fact]
    public void IsCut_StatusFromTheGateway_IsNotACut()
    {
        var shuttingDown = new RpcException(new Status(StatusCode.Unavailable, "The gateway is shutting down"));
        var takenOver = new RpcException(new Status(StatusCode.Aborted, "taken over"));

        Assert.False(TransientErrors.IsCut(shuttingDown));
        Assert.False(TransientErrors.IsCut(takenOver));
        Assert.True(TransientErrors.IsTransient(shuttingDown, CancellationToken.None));
    }
}

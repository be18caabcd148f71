using System.Security.Claims;
using Grpc.Core;

namespace Edge.Gateway.Security;

/// <summary>Who is calling: the device, its driver and the routes its token covers.</summary>
internal sealed record DeviceIdentity(string DeviceId, string DriverId, IReadOnlySet<string> RouteIds)
{
    /// <summary>JWT claim holding the device id.</summary>
    public const string DeviceClaim = "sub";

    /// <summary>JWT claim holding the driver id.</summary>
    public const string DriverClaim = "driver";

    /// <summary>JWT claim holding the route ids (one claim per route).</summary>
    public const string RoutesClaim = "routes";

    /// <summary>The caller of a call that passed the device policy.</summary>
    public static DeviceIdentity From(ServerCallContext context) => From(context.GetHttpContext().User);

    /// <summary>The device named by an authenticated principal.</summary>
    public static DeviceIdentity From(ClaimsPrincipal user)
    {
        var device = user.FindFirst(DeviceClaim)?.Value;
        if (string.IsNullOrEmpty(device))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The token names no device."));
        }

        return new DeviceIdentity(
            device,
            user.FindFirst(DriverClaim)?.Value ?? string.Empty,
            user.FindAll(RoutesClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal));
    }
}

using Edge.Gateway.Diagnostics;

namespace Edge.Gateway.Security;

internal static partial class SecurityLog
{
    [LoggerMessage(EventIds.SecurityRevocationRefreshFailed, LogLevel.Warning, "Could not read the revoked tokens and devices; the last list read stays in force.")]
    public static partial void RevocationRefreshFailed(ILogger logger, Exception exception);
}

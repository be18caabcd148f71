using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;

namespace Edge.CoreSim.Hosting;

/// <summary>Where the standalone simulator listens unless told otherwise.</summary>
internal static class StandaloneEndpoint
{
    /// <summary>The default address: port 5090 on loopback, plaintext HTTP/2 (h2c).</summary>
    public const string DefaultUrl = "http://localhost:5090";

    /// <summary>
    /// Serves HTTP/2 without TLS on every endpoint (gRPC over h2c), listening on <see cref="DefaultUrl"/> unless
    /// <c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c> or <c>Kestrel:Endpoints</c> say where.
    /// </summary>
    public static void UseCoreSimulatorDefaultEndpoint(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Protocols = HttpProtocols.Http2));

        var configuration = builder.Configuration;
        var configured = !string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey])
            || !string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
            || !string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])
            || configuration.GetSection("Kestrel:Endpoints").Exists();
        if (!configured)
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }
}

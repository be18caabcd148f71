using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edge.Gateway.Core;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Gateway.Tests.Security;

/// <summary>
/// TLS by default outside Development, cleartext only when asked for (or on loopback in Development), and the gateway
/// authenticated to the core it forwards to.
/// </summary>
public sealed class TransportTests
{
    private static Task<GatewayHost> StartAsync(string environment, Dictionary<string, string?> settings)
        => GatewayHost.StartAsync(settings: settings, environment: environment);

    [Theory]
    [InlineData("Production", "http://127.0.0.1:0")]
    [InlineData("Development", "http://0.0.0.0:0")]
    public async Task Cleartext_WhereNotAllowed_TheGatewayRefusesToStart(string environment, string url)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(environment, new() { ["urls"] = url }));

        Assert.Contains("cleartext", error.Message, StringComparison.Ordinal);
        Assert.Contains("Edge:Transport:AllowCleartext", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_WithoutACertificate_OutsideDevelopment_TheGatewayRefusesToStart()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("Production", new() { ["urls"] = "https://127.0.0.1:0" }));

        Assert.Contains("no certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleartext_AllowedExplicitly_OutsideDevelopment_Serves()
    {
        await using var host = await StartAsync("Production", new() { ["urls"] = "http://127.0.0.1:0", ["Edge:Transport:AllowCleartext"] = "true" });

        var response = await new V1.Uploads.UploadsClient(host.Channel()).FindMissingBlobsAsync(new FindMissingBlobsRequest());

        Assert.Empty(response.MissingSha256);
    }

    [Fact]
    public async Task Tls_WithACertificate_OutsideDevelopment_ServesHttp2OverTls()
    {
        var directory = Directory.CreateTempSubdirectory("edge-tls-").FullName;
        using var certificate = SelfSigned(directory, out var certificatePath, out var keyPath);
        await using var host = await StartAsync("Production", new()
        {
            ["urls"] = "https://127.0.0.1:0",
            ["Kestrel:Certificates:Default:Path"] = certificatePath,
            ["Kestrel:Certificates:Default:KeyPath"] = keyPath,
        });
        var presented = new List<string>();
        using var channel = GrpcChannel.ForAddress(host.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => { presented.Add(cert!.GetCertHashString()); return cert!.GetCertHashString() == certificate.GetCertHashString(); } },
            },
        });
        var headers = new Metadata { { "authorization", "Bearer " + TestTokens.Mint("device-tls") } };

        var response = await new V1.Uploads.UploadsClient(channel).FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { new string('b', 64) } }, headers);

        Assert.Equal(Uri.UriSchemeHttps, host.Address.Scheme);
        Assert.Equal([new string('b', 64)], response.MissingSha256);
        Assert.Equal(certificate.GetCertHashString(), Assert.Single(presented.Distinct()));
    }

    [Fact]
    public async Task Core_CalledWithoutTheGatewaysToken_IsUnauthenticated_WithItAnswers()
    {
        await using var host = await GatewayHost.StartAsync();
        var address = await host.Services.GetRequiredService<EmbeddedCoreSimulator>().Address;
        var token = host.Services.GetRequiredService<CoreCredentials>().AccessToken;
        using var channel = GrpcChannel.ForAddress(address);
        var manifests = new global::Core.V1.Manifests.ManifestsClient(channel);
        var request = new global::Core.V1.GetRouteManifestRequest { RouteId = "R-0001" };

        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await manifests.GetManifestAsync(request));
        var wrong = await Assert.ThrowsAsync<RpcException>(async () => await manifests.GetManifestAsync(request, new Metadata { { "authorization", "Bearer " + token + "x" } }));
        var answered = await manifests.GetManifestAsync(request, new Metadata { { "authorization", "Bearer " + token } });

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Equal("R-0001", answered.RouteId);
    }

    [Fact]
    public async Task Core_AtAConfiguredAddressWithoutAToken_TheGatewayRefusesToStart()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Edge:Core:Address"] = "http://127.0.0.1:1" }));

        Assert.Contains("Edge:Core:AccessToken", error.Message, StringComparison.Ordinal);
    }

    private static X509Certificate2 SelfSigned(string directory, out string certificatePath, out string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        certificatePath = Path.Combine(directory, "gateway.crt");
        keyPath = Path.Combine(directory, "gateway.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.Gateway.Tests.Uploads;

/// <summary>How the gateway listens: TLS when a certificate is configured, and keepalive that suits mobile links.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task Gateway_WithCertificateConfigured_ServesGrpcOverTls()
    {
        var directory = Directory.CreateTempSubdirectory("edge-tls-").FullName;
        var pfx = Path.Combine(directory, "gateway.pfx");
        string thumbprint;
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            thumbprint = certificate.Thumbprint;
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "secret"));
        }

        await using var host = await GatewayHost.StartAsync(dataDirectory: directory, settings: new Dictionary<string, string?>
        {
            ["urls"] = "https://127.0.0.1:0",
            ["Kestrel:Certificates:Default:Path"] = pfx,
            ["Kestrel:Certificates:Default:Password"] = "secret",
        });
        using var channel = GrpcChannel.ForAddress(host.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // Trust exactly the certificate the test made, nothing else.
                SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 c && c.Thumbprint == thumbprint },
            },
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + TestTokens.Mint("device-tls"));
                return Task.CompletedTask;
            })),
        });

        var response = await new V1.Uploads.UploadsClient(channel).FindMissingBlobsAsync(new FindMissingBlobsRequest { Sha256 = { new string('b', 64) } });

        Assert.Equal("https", host.Address.Scheme);
        Assert.Equal([new string('b', 64)], response.MissingSha256);
    }

    [Fact]
    public async Task Gateway_AcceptsFrequentClientKeepalivePings()
    {
        await using var host = await GatewayHost.StartAsync();
        using var channel = GrpcChannel.ForAddress(host.Address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                KeepAlivePingDelay = TimeSpan.FromSeconds(1),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(2),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            },
        });
        var health = new Grpc.Health.V1.Health.HealthClient(channel);
        await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());

        // Many pings on an idle connection: a server with a ping-strike policy would have sent GOAWAY by now.
        using var watch = health.Watch(new Grpc.Health.V1.HealthCheckRequest());
        Assert.True(await watch.ResponseStream.MoveNext());
        await Task.Delay(TimeSpan.FromSeconds(4));
        var again = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, again.Status);
    }
}

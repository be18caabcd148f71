using Edge.Gateway.Blobs;
using Edge.Gateway.Core;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Imaging;
using Edge.Gateway.Proofs;
using Edge.Gateway.Proofs.Reuse;
using Edge.Gateway.Scans;
using Edge.Gateway.Manifests;
using Edge.Gateway.Security;
using Edge.Gateway.Storage;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Uploads;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace Edge.Gateway.Hosting;

/// <summary>Registration of the gateway's parts.</summary>
public static class EdgeGatewayExtensions
{
    /// <summary>Default listening address when none is configured (cleartext HTTP/2).</summary>
    public const string DefaultUrl = "http://0.0.0.0:5080";

    /// <summary>Adds the gateway: host settings, state (embedded or Redis), security, uploads and telemetry.</summary>
    public static WebApplicationBuilder AddEdgeGateway(this WebApplicationBuilder builder)
    {
        ConfigureKestrel(builder);
        var services = builder.Services;
        var edge = builder.Configuration.GetSection(EdgeOptions.SectionName).Get<EdgeOptions>() ?? new EdgeOptions();

        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<UploadOptions>().BindConfiguration(UploadOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EdgeMetrics>();

        services.TryAddSingleton<CallErrorInterceptor>();
        services.AddGrpc(grpc =>
        {
            // No call ends UNKNOWN: unexpected errors end INTERNAL, cancelled calls CANCELLED, status messages bounded.
            grpc.Interceptors.Add<CallErrorInterceptor>();
            grpc.MaxReceiveMessageSize = (builder.Configuration.GetValue<int?>($"{UploadOptions.SectionName}:{nameof(UploadOptions.MaxChunkBytes)}") ?? new UploadOptions().MaxChunkBytes) + (64 * 1024);
            grpc.EnableDetailedErrors = builder.Environment.IsDevelopment();
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks(health => health.UseHealthChecksCache = true).AddCheck<StateHealthCheck>("state");
        services.Configure<HealthCheckPublisherOptions>(publisher =>
        {
            // The first probe runs before the gateway listens (InitialHealthProbe); the periodic ones follow it.
            publisher.Delay = edge.HealthProbePeriod;
            publisher.Period = edge.HealthProbePeriod;
        });
        services.AddHostedService<InitialHealthProbe>();
        services.AddEdgeDeviceAuthentication();

        services.AddEdgeCore(builder.Configuration);
        services.AddEdgeState(edge);
        services.TryAddSingleton<StagingArea>();
        services.TryAddSingleton<LocalWriters>();
        services.AddEdgeBlobs();
        services.AddEdgePhotoPipeline();
        services.AddOptions<DiagnosticsOptions>().BindConfiguration(DiagnosticsOptions.SectionName);
        services.TryAddSingleton<CompletionFaults>();
        services.TryAddSingleton<PhotoIngest>();
        services.AddHostedService<StagingSweeper>();
        services.AddEdgeForwarding();
        services.AddEdgeManifests();
        services.AddEdgePhotoReuse(edge);

        // Prometheus scrape endpoint on its own HTTP/1.1 listener (the gRPC port speaks HTTP/2 only). Off unless a port is set.
        var prometheusPort = builder.Configuration.GetValue<int?>("Edge:Metrics:PrometheusPort");
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(EdgeMetrics.MeterName, "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
            if (prometheusPort is > 0)
            {
                var host = builder.Configuration["Edge:Metrics:PrometheusHost"] ?? "localhost";
                metrics.AddPrometheusHttpListener(o =>
                {
                    o.Host = host;
                    o.Port = prometheusPort.Value;

                    // HttpListener matches the Host header: bound to "localhost" alone it answers 404 to a scrape of
                    // 127.0.0.1, which is how most scrapers on the machine address it.
                    if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
                    {
                        o.ConfigureHttpListener = (_, listener) => listener.Prefixes.Add($"http://127.0.0.1:{prometheusPort.Value}/");
                    }
                });
            }
        });
        return builder;
    }

    /// <summary>Maps the gRPC services, health and reflection.</summary>
    public static WebApplication MapEdgeGateway(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGrpcService<UploadsService>();
        app.MapGrpcService<ScansService>();
        app.MapGrpcService<ProofsService>();
        app.MapGrpcService<ManifestsService>();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService().AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The state mode, chosen here and nowhere else: Redis when <see cref="EdgeOptions.Redis"/> is set, else the embedded
    /// SQLite file. Each mode registers every store it has in one place. Also used by the operator commands, so they
    /// reach the same state as the gateway under the same configuration.
    /// </summary>
    internal static IServiceCollection AddEdgeState(this IServiceCollection services, EdgeOptions edge)
        => edge.UsesRedis ? services.AddRedisState() : services.AddSqliteState();

    private static void ConfigureKestrel(WebApplicationBuilder builder)
    {
        var configured = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? builder.Configuration["http_ports"];
        if (string.IsNullOrEmpty(configured) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Cleartext endpoints speak HTTP/2 only (gRPC with prior knowledge); TLS endpoints negotiate by ALPN.
            kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2);
            kestrel.ConfigureHttpsDefaults(_ => { });

            // Mobile links go half-open: ping idle connections and drop the ones that stop answering. Client
            // keepalive pings are always answered (Kestrel has no ping strike policy).
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(20);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            kestrel.Limits.Http2.MaxStreamsPerConnection = 200;
            // What Kestrel buffers for a stream the gateway has not read yet: a few 64 KiB chunks per upload, so memory
            // per in-flight upload stays bounded (and a cellular link's bandwidth-delay product still fits).
            kestrel.Limits.Http2.InitialStreamWindowSize = 256 * 1024;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 2 * 1024 * 1024;
        });
    }
}

using Edge.Gateway.Blobs;
using Edge.Gateway.Core;
using Edge.Gateway.Diagnostics;
using Edge.Gateway.Forwarding;
using Edge.Gateway.Imaging;
using Edge.Gateway.Limits;
using Edge.Gateway.Proofs;
using Edge.Gateway.Proofs.Reuse;
using Edge.Gateway.Scans;
using Edge.Gateway.Manifests;
using Edge.Gateway.Security;
using Edge.Gateway.Storage;
using Edge.Gateway.Storage.Redis;
using Edge.Gateway.Storage.Sqlite;
using Edge.Gateway.Uploads;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace Edge.Gateway.Hosting;

/// <summary>Registration of the gateway's parts.</summary>
public static class EdgeGatewayExtensions
{
    /// <summary>Adds the gateway: host settings, state (embedded or Redis), security, uploads and telemetry.</summary>
    public static WebApplicationBuilder AddEdgeGateway(this WebApplicationBuilder builder)
    {
        var defaultUrl = ConfigureKestrel(builder);
        var services = builder.Services;

        // First of the hosted services: nothing starts (and nothing listens) with a transport that exposes tokens.
        services.AddOptions<TransportOptions>().BindConfiguration(TransportOptions.SectionName);
        services.AddHostedService(_ => new TransportCheck(TransportSecurity.Refusal(builder.Configuration, builder.Environment, defaultUrl)));
        var edge = builder.Configuration.GetSection(EdgeOptions.SectionName).Get<EdgeOptions>() ?? new EdgeOptions();

        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ConnectionOptions>().BindConfiguration(ConnectionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
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
        services.AddEdgeDeviceLimits(edge);
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

    /// <summary>Kestrel's limits, and the default address (returned) when none is configured.</summary>
    private static string? ConfigureKestrel(WebApplicationBuilder builder)
    {
        string? defaultUrl = null;
        var configured = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? builder.Configuration["http_ports"];
        if (string.IsNullOrEmpty(configured) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            defaultUrl = TransportSecurity.DefaultUrl(builder.Environment);
            builder.WebHost.UseUrls(defaultUrl);
        }

        var connections = builder.Configuration.GetSection(ConnectionOptions.SectionName).Get<ConnectionOptions>() ?? new ConnectionOptions();
        var uploads = builder.Configuration.GetSection(UploadOptions.SectionName).Get<UploadOptions>() ?? new UploadOptions();

        // Registered after Kestrel's socket transport, so Kestrel prefers it for TCP endpoints.
        builder.Services.AddSingleton<IConnectionListenerFactory, BackoffSocketTransport>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // No client can use up the descriptors: a connection limit under nofile, and a connection that sends nothing
            // (no HTTP/2 preface, no TLS hello) is closed after a few seconds, as is a TLS handshake that does not finish.
            var descriptors = ConnectionLimits.ReadDescriptorLimit();
            var limit = ConnectionLimits.Apply(kestrel, connections, descriptors, uploads.MaxWritingUploads);
            if (limit < connections.MaxConnections)
            {
                LimitsLog.ConnectionLimitLowered(kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionLimits)),
                    connections.MaxConnections, limit, descriptors ?? 0);
            }

            // Cleartext endpoints speak HTTP/2 only (gRPC with prior knowledge); TLS endpoints negotiate by ALPN.
            kestrel.ConfigureEndpointDefaults(endpoint =>
            {
                endpoint.Protocols = HttpProtocols.Http2;
                var metrics = endpoint.ApplicationServices.GetService<EdgeMetrics>();
                endpoint.Use(next => ConnectionLimits.RequireFirstBytes(next, connections.PrefaceTimeout, _ => metrics?.PrefaceTimedOut()));
            });

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
        return defaultUrl;
    }

    /// <summary>Stops the start when the transport would expose device tokens (see <see cref="TransportSecurity"/>).</summary>
    private sealed class TransportCheck(string? refusal) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
            => refusal is null ? Task.CompletedTask : throw new InvalidOperationException(refusal);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Edge.Gateway.Hosting;
using Edge.Gateway.Imaging;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.LoadTest.Uploads;

/// <summary>
/// The gateway under test, in a process of its own so its memory and allocations are measured apart from the
/// client's. It is the full gateway stack; unless told <c>--pipeline photos</c>, the photo pipeline is the pass-through
/// one, so that the benchmark measures the transport (chunks, CRC32C, SHA-256, fsync, state). Commands on standard input: <c>mark</c> starts the
/// measured window, <c>report</c> prints its figures as JSON.
/// </summary>
internal static class UploadGatewayRole
{
    public const string Name = "upload-gateway";

    /// <summary>Starts this role in a new process of this program and waits until its gateway listens.</summary>
    /// <summary>
    /// Asks a gateway started by <see cref="StartProcessAsync"/> for its figures and returns its JSON answer. The
    /// gateway's own log lines (warnings and errors) share its output and may come first: they are shown, not parsed.
    /// </summary>
    public static async Task<string> ReportAsync(Process gateway)
    {
        await gateway.StandardInput.WriteLineAsync("report");
        while (await gateway.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith('{'))
            {
                return line;
            }

            Console.Error.WriteLine("gateway: " + line);
        }

        throw new InvalidOperationException("The gateway ended before it reported its figures.");
    }

    public static async Task<Process> StartProcessAsync(int port, string data, string signingKey, string? redis, params string[] more)
    {
        var start = new ProcessStartInfo("dotnet",
            [typeof(UploadGatewayRole).Assembly.Location, Name, "--port", port.ToString(CultureInfo.InvariantCulture),
             "--data", data, "--signing-key", signingKey, .. (redis is null ? Array.Empty<string>() : ["--redis", redis]), .. more])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        foreach (var (name, value) in GatewayGcSettings())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;

        // Warnings the gateway logs while it starts (a Redis that is not durable, with Warn) come before "ready".
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync()) is not null && line != "ready")
        {
        }

        if (line != "ready")
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw new InvalidOperationException("the gateway process did not start");
        }

        return process;
    }

    /// <summary>
    /// The garbage collector as the gateway ships (Edge.Gateway.runtimeconfig.json: a web project, so server GC), as
    /// environment variables for this role's process, which would otherwise run with this program's settings. A variable
    /// already set for this program is left as it is.
    /// </summary>
    public static IEnumerable<(string Name, string Value)> GatewayGcSettings()
    {
        var config = Path.Combine(AppContext.BaseDirectory, "Edge.Gateway.runtimeconfig.json");
        if (!File.Exists(config))
        {
            throw new FileNotFoundException("the gateway's runtime settings are not beside this program", config);
        }

        using var document = JsonDocument.Parse(File.ReadAllText(config));
        if (!document.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var properties))
        {
            yield break;
        }

        foreach (var (property, variable) in new[] { ("System.GC.Server", "DOTNET_gcServer"), ("System.GC.Concurrent", "DOTNET_gcConcurrent") })
        {
            // Set for this program already (DOTNET_gcServer=0 to compare workstation GC): the caller's choice wins.
            if (properties.TryGetProperty(property, out var value) && Environment.GetEnvironmentVariable(variable) is null)
            {
                yield return (variable, value.GetBoolean() ? "1" : "0");
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<int> RunAsync(ScenarioArguments arguments)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{arguments.String("port")}",
            ["Edge:Transport:AllowCleartext"] = "true",
            ["Edge:DataDirectory"] = arguments.String("data"),
            ["Edge:Redis"] = arguments.String("redis"),
            ["Edge:Auth:SigningKey"] = arguments.String("signing-key"),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Edge:Core:EmbeddedPort"] = arguments.String("core-port"),
            ["Edge:Forwarding:MaxRetryDelay"] = arguments.String("max-retry-delay"),
            ["Edge:RedisDurability"] = arguments.String("redis-durability"),
        });
        if (arguments.String("max-connections") is { } maxConnections)
        {
            builder.Configuration["Edge:Connections:MaxConnections"] = maxConnections;
        }

        // Throughput runners make a few simulated devices send what a depot's fleet sends: the per-device rates are
        // lifted unless the runner measures the budgets themselves (--device-limits default).
        if (arguments.String("device-limits") != "default")
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Edge:Limits:UploadStartsPerSecond"] = "1000000",
                ["Edge:Limits:UploadStartBurst"] = "1000000",
                ["Edge:Limits:ScanEventsPerSecond"] = "1000000",
                ["Edge:Limits:ScanEventBurst"] = "10000000",
                ["Edge:Limits:ProofsPerSecond"] = "1000000",
                ["Edge:Limits:ProofBurst"] = "1000000",
            });
        }

        if (arguments.String("pipeline") != "photos")
        {
            builder.Services.AddSingleton<IPhotoPipeline, PassthroughPhotoPipeline>();
        }

        builder.AddEdgeGateway();
        var app = builder.Build();
        app.MapEdgeGateway();
        await app.StartAsync();
        Console.WriteLine("ready");

        // Counting large-object allocations listens to the runtime's GC events (one per ~100 KB allocated), which costs
        // the gateway CPU in proportion to what it allocates: only the runners that report it turn it on.
        using var largeAllocations = arguments.String("count-large-allocations") == "true" ? new LargeAllocationListener() : null;
        long syncs = 0;
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "edge.upload.sync.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref syncs));
        meters.Start();
        long allocatedAtMark = 0;
        long largeAtMark = 0;
        long syncsAtMark = 0;
        var cpuAtMark = TimeSpan.Zero;
        while (Console.ReadLine() is { } command)
        {
            switch (command)
            {
                case "mark":
                    allocatedAtMark = GC.GetTotalAllocatedBytes(precise: true);
                    largeAtMark = largeAllocations?.LargeBytes ?? 0;
                    syncsAtMark = Interlocked.Read(ref syncs);
                    cpuAtMark = ProcessFigures.CpuTime();
                    Console.WriteLine("marked");
                    break;
                case "report":
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, long>
                    {
                        ["allocated_bytes"] = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtMark,
                        ["large_object_heap_bytes"] = largeAllocations is null ? -1 : largeAllocations.LargeBytes - largeAtMark,
                        ["peak_rss_bytes"] = ProcessFigures.PeakResidentBytes(),
                        ["gen2_collections"] = GC.CollectionCount(2),
                        ["syncs"] = Interlocked.Read(ref syncs) - syncsAtMark,
                        ["cpu_ms"] = (long)(ProcessFigures.CpuTime() - cpuAtMark).TotalMilliseconds,
                        ["server_gc"] = System.Runtime.GCSettings.IsServerGC ? 1 : 0,
                    }));
                    break;
                case "quit":
                    await app.StopAsync();
                    return 0;
            }
        }

        await app.StopAsync();
        return 0;
    }

    /// <summary>Sums the runtime's allocation ticks (one per ~100 KB allocated) for the large object heap.</summary>
    private sealed class LargeAllocationListener : EventListener
    {
        private long _largeBytes;

        public long LargeBytes => Interlocked.Read(ref _largeBytes);

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            // AllocationTick_V4: AllocationKind 1 = large object heap.
            if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true
                && e.Payload is { Count: > 1 }
                && Convert.ToInt32(e.Payload[e.PayloadNames!.IndexOf("AllocationKind")], System.Globalization.CultureInfo.InvariantCulture) == 1)
            {
                var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var i and >= 0
                    ? Convert.ToInt64(e.Payload[i], System.Globalization.CultureInfo.InvariantCulture)
                    : 100_000;
                Interlocked.Add(ref _largeBytes, amount);
            }
        }
    }
}

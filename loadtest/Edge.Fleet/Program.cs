using Edge.Fleet;
using Edge.Fleet.Weaklink;
using Edge.LoadTest;

const string Usage = """
    usage: Edge.Fleet [run] [options]          the fleet simulator (default)
           Edge.Fleet weaklink-upload [options] one photo by the SDK vs plain TCP over a link (loadtest/weaklink/run.sh)
           Edge.Fleet tcp-sink --port N         the plain-TCP end of weaklink-upload

    run options (defaults in brackets):
      --devices N [20]  --duration 5m [1m]  --drain 3m [3m]  --ramp 20s [20s]  --photo-bytes N [3000000]
      --delay 20s [20s] pause between stops, or --rate N stops per minute per device
      --bandwidth 1mbit [1mbit] (0: unlimited)  --latency 200ms [200ms] one-way  --loss PCT [0] as stalls
      --cut-every 30s [off]  --cut-fraction 0.25 [0.25]  --cut-mode reset|half-open [reset]
      --gateway host:port (else a gateway process is started)  --signing-key BASE64  --core host:port (the audit)
      --restart-at 150s [off] restart the gateway the fleet started this far into the run (stop, start again)
      --restart-signal TERM|KILL [TERM] how it is stopped: drained, or a crash
      --data DIR  --keep-data true

    weaklink-upload options: --gateway URL --sink host:port --signing-key BASE64 --photo-bytes N --case NAME
      --cut-every 10s, with --kernel-cuts PATH/cut.sh --cut-mode both|client (kernel cuts on the gateway's port),
      or --cut-mode reset|half-open alone (the in-process proxy); --wire-device wl-c --initial-chunk-bytes N
      --fixed-chunk-bytes N (every chunk this size, to compare with the SDK's own) --trace true
      --method tus: the tus reference client (loadtest/weaklink/tus/client.mjs, --tus-client) instead of the SDK, to
      --tus-endpoint URL [http://192.0.2.2:5082/files/], --tus-chunk-bytes N [0: one PATCH] --tus-retry-ms N [250]
    """;

try
{
    return args switch
    {
        ["weaklink-upload", .. var rest] => await WeaklinkUpload.RunAsync(ScenarioArguments.Parse(rest).Only("weaklink-upload",
            "gateway", "sink", "signing-key", "photo-bytes", "cut-every", "cut-mode", "kernel-cuts", "wire-device", "case", "initial-chunk-bytes", "fixed-chunk-bytes", "trace",
            "method", "tus-endpoint", "tus-client", "tus-chunk-bytes", "tus-retry-ms")),
        ["tcp-sink", .. var rest] => await TcpSink.RunAsync(ScenarioArguments.Parse(rest).Only("tcp-sink", "port")),
        ["run", .. var rest] => await FleetRun.RunAsync(FleetOptions.Parse(rest)),
        ["-h" or "--help" or "help", ..] => Help(),
        _ => await FleetRun.RunAsync(FleetOptions.Parse(args)),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

static int Help()
{
    Console.WriteLine(Usage);
    return 0;
}

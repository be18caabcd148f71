using System.Diagnostics;
using System.Globalization;

namespace Edge.Fleet.Weaklink;

/// <summary>
/// The same photo uploaded with the tus protocol's reference client (tus-js-client, <c>loadtest/weaklink/tus/client.mjs</c>)
/// to its reference server (@tus/server with @tus/file-store, <c>server.mjs</c>, started by <c>run.sh</c>), under the
/// same kernel cuts on the tus server's port: the comparison the SDK's targets name. The client warms up and says
/// "ready"; the clock and the cuts start when it is told to go and stop at its "done".
/// </summary>
internal static class TusUpload
{
    /// <summary>Uploads <paramref name="path"/> to <paramref name="endpoint"/>; <paramref name="chunkBytes"/> 0 is one PATCH.</summary>
    /// <remarks><paramref name="wire"/> is read after the client's warm-up and after the upload: the upload's bytes alone.</remarks>
    public static async Task<TusRun> RunAsync(string client, Uri endpoint, string path, int chunkBytes, TimeSpan retryEvery, KernelCutPlan? cuts,
        Func<(long Bytes, long FirstSent)?> wire, bool trace)
    {
        if (!File.Exists(client))
        {
            throw new ArgumentException($"--tus-client: no tus client at {client}");
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Path.GetDirectoryName(client)!,
        };
        start.Environment["TUS_TRACE"] = trace ? "1" : "0";
        foreach (var argument in new[]
                 {
                     client, endpoint.ToString(), path, chunkBytes.ToString(CultureInfo.InvariantCulture),
                     ((int)retryEvery.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync();
            while (line is not null && line.StartsWith("trace ", StringComparison.Ordinal))
            {
                line = await process.StandardOutput.ReadLineAsync();
            }

            if (line != "ready")
            {
                throw new InvalidOperationException($"the tus client did not get ready: {line ?? "(exited)"}");
            }

            var wireBefore = wire();
            var started = Stopwatch.GetTimestamp();
            Action<string>? traced = trace ? what => Console.WriteLine($"  {Stopwatch.GetElapsedTime(started).TotalSeconds,7:0.000} s  {what}") : null;
            var kernel = cuts is null ? null : KernelCuts.Start(cuts.Script, endpoint.Port, cuts.Every, cuts.Mode, traced);
            try
            {
                await process.StandardInput.WriteLineAsync("go");
                await process.StandardInput.FlushAsync();
                // A client that neither finishes nor fails (tus-js-client retries without end) ends the run here.
                using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(5));
                // "trace SECONDS WHAT" lines (TUS_TRACE=1) come before the outcome.
                while ((line = await process.StandardOutput.ReadLineAsync(patience.Token)) is not null && line.StartsWith("trace ", StringComparison.Ordinal))
                {
                    traced?.Invoke($"tus client at {line[6..]}");
                }
            }
            finally
            {
                if (kernel is not null)
                {
                    await kernel.DisposeAsync();
                }
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var wireAfter = wire();
            var parts = line?.Split(' ') ?? [];
            if (parts is not ["done", _, var patches])
            {
                throw new InvalidOperationException($"the tus upload did not finish: {line ?? "(exited)"}");
            }

            return new TusRun(elapsed, kernel?.Cuts ?? 0, int.Parse(patches, CultureInfo.InvariantCulture), kernel?.MeanOutage, wireBefore, wireAfter);
        }
        finally
        {
            await ProcessStop.TerminateAsync(process, TimeSpan.FromSeconds(5));
        }
    }
}

/// <summary>A tus upload: its time, the cuts during it, the PATCH requests it took and the wire counter around it.</summary>
internal sealed record TusRun(TimeSpan Elapsed, int Cuts, int Patches, TimeSpan? MeanOutage, (long Bytes, long FirstSent)? WireBefore,
    (long Bytes, long FirstSent)? WireAfter);

/// <summary>Kernel cuts by the weaklink's <c>cut.sh</c> (<see cref="Script"/>) every <see cref="Every"/> in <see cref="Mode"/> (both or client).</summary>
internal sealed record KernelCutPlan(string Script, TimeSpan Every, string Mode);

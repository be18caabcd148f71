using System.Diagnostics;
using System.Globalization;
using Edge.Fleet.Links;
using Spectre.Console;

namespace Edge.Fleet.Reporting;

/// <summary>
/// Progress while the fleet runs: a live table refreshed every second on a terminal, a plain line every ten seconds
/// when the output goes to a file or a pipe.
/// </summary>
internal sealed class LiveView(FleetStats stats, LinkCounters links, UploadLedgers ledgers, Func<string> phase)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastBytesUp;
    private TimeSpan _lastAt;

    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public async Task RunAsync(CancellationToken stop)
    {
        if (Interactive)
        {
            await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async context =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await Wait(TimeSpan.FromSeconds(1), stop);
                    context.UpdateTarget(Render());
                    context.Refresh();
                }
            });
            return;
        }

        while (!stop.IsCancellationRequested)
        {
            await Wait(TimeSpan.FromSeconds(10), stop);
            Console.WriteLine(Line());
        }
    }

    private static Task Wait(TimeSpan delay, CancellationToken stop) => Task.Delay(delay, stop).ContinueWith(_ => { }, TaskScheduler.Default);

    private (double MbitUp, TimeSpan Elapsed) Rate()
    {
        var now = _clock.Elapsed;
        var bytes = links.BytesUp;
        var seconds = Math.Max(0.001, (now - _lastAt).TotalSeconds);
        var rate = (bytes - _lastBytesUp) * 8 / seconds / 1e6;
        _lastBytesUp = bytes;
        _lastAt = now;
        return (rate, now);
    }

    private Table Render()
    {
        var (mbit, elapsed) = Rate();
        var (upload, photoToCommit, _) = stats.Histograms();
        var table = new Table().Border(TableBorder.Rounded).Title($"Edge fleet: {phase()} {elapsed:mm\\:ss}");
        table.AddColumn("devices");
        table.AddColumn("stops");
        table.AddColumn("scans");
        table.AddColumn("photos taken / uploaded");
        table.AddColumn("proofs sent / committed");
        table.AddColumn("resumes");
        table.AddColumn("re-sent");
        table.AddColumn("cuts");
        table.AddColumn("link up");
        table.AddColumn("upload p50 / p99");
        table.AddColumn("photo→COMMITTED p99");
        table.AddRow(
            stats.DevicesRunning.ToString(CultureInfo.InvariantCulture),
            stats.Stops.ToString(CultureInfo.InvariantCulture),
            stats.ScansSent.ToString(CultureInfo.InvariantCulture),
            $"{stats.PhotosTaken} / {stats.PhotosUploaded}",
            $"{stats.ProofsSent} / {stats.ProofsCommitted}",
            ledgers.Resumes.ToString(CultureInfo.InvariantCulture),
            $"{ledgers.ResentBytes / 1e6:0.00} MB",
            links.Cuts.ToString(CultureInfo.InvariantCulture),
            $"{mbit:0.0} Mbit/s",
            upload.TotalCount == 0 ? "-" : $"{upload.GetValueAtPercentile(50) / 1e6:0.0} / {upload.GetValueAtPercentile(99) / 1e6:0.0} s",
            photoToCommit.TotalCount == 0 ? "-" : $"{photoToCommit.GetValueAtPercentile(99) / 1e6:0.0} s");
        return table;
    }

    private string Line()
    {
        var (mbit, elapsed) = Rate();
        var (upload, photoToCommit, _) = stats.Histograms();
        return string.Create(CultureInfo.InvariantCulture,
            $"[{elapsed:mm\\:ss} {phase()}] devices {stats.DevicesRunning} stops {stats.Stops} scans {stats.ScansSent} photos {stats.PhotosTaken}/{stats.PhotosUploaded} " +
            $"proofs {stats.ProofsSent}/{stats.ProofsCommitted} resumes {ledgers.Resumes} re-sent {ledgers.ResentBytes / 1e6:0.00} MB cuts {links.Cuts} " +
            $"up {mbit:0.0} Mbit/s upload p50 {(upload.TotalCount == 0 ? 0 : upload.GetValueAtPercentile(50) / 1e6):0.0} s " +
            $"p99 {(upload.TotalCount == 0 ? 0 : upload.GetValueAtPercentile(99) / 1e6):0.0} s photo->COMMITTED p99 {(photoToCommit.TotalCount == 0 ? 0 : photoToCommit.GetValueAtPercentile(99) / 1e6):0.0} s");
    }
}

/// <summary>The devices' upload ledgers, summed.</summary>
internal sealed class UploadLedgers(IReadOnlyList<UploadLedger> ledgers)
{
    public long Resumes => ledgers.Sum(l => l.Resumes);

    public long ResentBytes => ledgers.Sum(l => l.ResentBytes);

    public long ChunkBytes => ledgers.Sum(l => l.ChunkBytes);

    public long Streams => ledgers.Sum(l => l.Streams);
}

using System.Diagnostics;
using System.Security.Cryptography;
using Edge.Client;
using Edge.Fleet.Links;
using Edge.Fleet.Reporting;
using Grpc.Core;

namespace Edge.Fleet.Devices;

/// <summary>
/// One simulated handheld: its own token, outbox and link. It fetches its route's manifest through the SDK and works
/// the stops in order until told to stop: OUT_FOR_DELIVERY scans, the drive, DELIVERED scans, then at a plain stop a
/// photo uploaded at the door and a proof naming it; at a confidential or opted-out stop a proof without photo.
/// </summary>
internal sealed class Device(int index, string routeId, string token, LinkProxy link, PhotoCamera camera, FleetOptions options,
    FleetStats stats, string directory)
{
    public string DeviceId { get; } = $"fleet-device-{index:D4}";

    public LinkProxy Link => link;

    public EdgeClient? Client { get; private set; }

    /// <summary>Works the route until <paramref name="stopWorking"/>, then delivers what is queued until <paramref name="stopDelivering"/>.</summary>
    public async Task RunAsync(TimeSpan startAfter, CancellationToken stopWorking, CancellationToken stopDelivering)
    {
        var photos = Directory.CreateDirectory(Path.Combine(directory, "camera")).FullName;
        var client = new EdgeClient(new EdgeClientOptions
        {
            GatewayAddress = new Uri($"http://127.0.0.1:{link.Port}"),
            AllowTokenOverCleartext = true,
            TokenProvider = _ => ValueTask.FromResult(token),
            OutboxDirectory = Path.Combine(directory, "outbox"),
            OutboxKey = RandomNumberGenerator.GetBytes(32),
        });
        Client = client;
        var photoFiles = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        client.ReceiptReceived += (_, receipt) =>
        {
            switch (receipt.Status)
            {
                case ProofStatus.Committed:
                    stats.ProofCommitted(receipt.ProofId);
                    if (photoFiles.TryRemove(receipt.ProofId, out var file))
                    {
                        File.Delete(file); // the SDK kept its own copy until now
                    }

                    break;
                case ProofStatus.Rejected:
                    stats.ProofRejected();
                    Console.Error.WriteLine($"{DeviceId}: proof {receipt.ProofId} rejected: {receipt.Reason}");
                    break;
            }
        };
        client.ScanRejected += (_, scan) =>
        {
            stats.ScanRejected();
            Console.Error.WriteLine($"{DeviceId}: scan {scan.EventId} rejected: {scan.Reason}");
        };

        stats.DeviceStarted();
        try
        {
            await Task.Delay(startAfter, stopWorking).ContinueWith(_ => { }, TaskScheduler.Default);
            if (!stopWorking.IsCancellationRequested)
            {
                await WorkRouteAsync(client, photos, photoFiles, stopWorking, stopDelivering);
            }

            await client.FlushOutboxAsync(stopDelivering);
        }
        catch (OperationCanceledException) when (stopDelivering.IsCancellationRequested)
        {
            // The drain ran out; what is still queued shows in the report as not committed.
        }
        finally
        {
            stats.DeviceStopped();
        }
    }

    public async Task CloseAsync()
    {
        if (Client is { } client)
        {
            await client.DisposeAsync();
        }
    }

    private async Task WorkRouteAsync(EdgeClient client, string photos, System.Collections.Concurrent.ConcurrentDictionary<string, string> photoFiles,
        CancellationToken stopWorking, CancellationToken stopDelivering)
    {
        var manifest = await GetManifestAsync(client, stopWorking);
        if (manifest is null)
        {
            return;
        }

        var sequence = 0;
        foreach (var stop in manifest.Stops.OrderBy(s => s.Sequence))
        {
            if (stopWorking.IsCancellationRequested)
            {
                return;
            }

            var stopStarted = Stopwatch.GetTimestamp();
            var location = new DeviceLocation(stop.Latitude, stop.Longitude, AccuracyMeters: 6);
            await ScanPackagesAsync(client, manifest.RouteId, stop, ScanType.OutForDelivery, location: null);

            // The drive to the door.
            var pause = options.Rate is { } rate ? TimeSpan.FromMinutes(1 / rate) / 2 : options.Delay;
            if (await PauseAsync(pause, stopWorking))
            {
                return;
            }

            await ScanPackagesAsync(client, manifest.RouteId, stop, ScanType.Delivered, location);

            var withPhoto = !stop.Confidential && !stop.PhotoOptOut;
            string? path = null;
            string? digest = null;
            var takenAt = Stopwatch.GetTimestamp();
            if (withPhoto)
            {
                path = Path.Combine(photos, $"{stop.StopId}.jpg");
                await camera.TakeAsync(path, index, ++sequence, CancellationToken.None);
                stats.PhotoTaken();
                await using (var file = File.OpenRead(path))
                {
                    digest = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, CancellationToken.None));
                }

                await UploadAtTheDoorAsync(client, path, stopDelivering);
            }

            var proofId = await client.SubmitProofAsync(new ProofOfDelivery
            {
                RouteId = manifest.RouteId,
                StopId = stop.StopId,
                PackageIds = [.. stop.Packages.Select(p => p.PackageId)],
                PlaceLeft = PlaceLeft.FrontDoor,
                Location = location,
                PhotoPaths = path is null ? [] : [path],
            }, CancellationToken.None);
            if (path is not null)
            {
                photoFiles[proofId] = path;
            }

            stats.ProofQueued(new ProofRecord
            {
                ProofId = proofId,
                DeviceId = DeviceId,
                RouteId = manifest.RouteId,
                StopId = stop.StopId,
                PackageIds = [.. stop.Packages.Select(p => p.PackageId)],
                PhotoSha256 = digest,
                TakenAt = takenAt,
                SubmittedAt = Stopwatch.GetTimestamp(),
            });
            stats.StopDone();

            if (options.Rate is { } perMinute)
            {
                var left = TimeSpan.FromMinutes(1 / perMinute) - Stopwatch.GetElapsedTime(stopStarted);
                if (left > TimeSpan.Zero && await PauseAsync(left, stopWorking))
                {
                    return;
                }
            }
        }
    }

    private async Task ScanPackagesAsync(EdgeClient client, string route, RouteStop stop, ScanType type, DeviceLocation? location)
    {
        foreach (var package in stop.Packages)
        {
            stats.ScanQueued(await client.RecordScanAsync(new Scan
            {
                Barcode = package.Barcode,
                PackageId = package.PackageId,
                RouteId = route,
                StopId = stop.StopId,
                Type = type,
                Location = location,
            }, CancellationToken.None));
        }
    }

    /// <summary>Uploads now for the verdict; on failure the proof's outbox entry uploads it later.</summary>
    private async Task UploadAtTheDoorAsync(EdgeClient client, string path, CancellationToken stopDelivering)
    {
        var started = Stopwatch.GetTimestamp();
        var attempts = 1;
        try
        {
            await client.UploadPhotoAsync(path, new SyncProgress(p => attempts = Math.Max(attempts, p.Attempt)), stopDelivering);
            stats.Uploaded(Stopwatch.GetElapsedTime(started), attempts);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
        {
            stats.UploadFailed();
        }
    }

    private async Task<RouteManifest?> GetManifestAsync(EdgeClient client, CancellationToken stopWorking)
    {
        while (!stopWorking.IsCancellationRequested)
        {
            try
            {
                return await client.GetManifestAsync(routeId, stopWorking);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal)
            {
                stats.Error();
                await PauseAsync(TimeSpan.FromSeconds(1), stopWorking);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Waits; true when the run said stop meanwhile.</summary>
    private static async Task<bool> PauseAsync(TimeSpan pause, CancellationToken stopWorking)
    {
        try
        {
            await Task.Delay(pause, stopWorking);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<UploadProgress> report) : IProgress<UploadProgress>
    {
        public void Report(UploadProgress value) => report(value);
    }
}

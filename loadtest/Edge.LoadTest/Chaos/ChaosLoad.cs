using System.Collections.Concurrent;
using System.Diagnostics;
using Edge.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.LoadTest.Chaos;

/// <summary>
/// Simulated devices sending a mixed load (RecordScans batches, and SubmitProof with a photo every few batches) to the
/// gateways, each device pinned to one gateway and moving to the next when its gateway stops answering, resending
/// what was not answered as the SDK does (same ids). The ledger is what the gateways acknowledged: every id in it must
/// reach the core once.
/// </summary>
internal sealed class ChaosLoad(IReadOnlyList<GrpcChannel> gateways, IReadOnlyList<Metadata> devices, string[] photos, Stop closedStop, int scansPerSecond, int proofEvery) : IDisposable
{
    private const int Batch = 20;
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly ConcurrentDictionary<string, byte> _scans = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _proofs = new(StringComparer.Ordinal);
    private long _failovers;

    /// <summary>Scan event ids the gateways answered ACCEPTED or DUPLICATE.</summary>
    public ICollection<string> AcknowledgedScans => _scans.Keys;

    /// <summary>Proof ids answered RECEIVED (or already known), with the device that sent each.</summary>
    public IReadOnlyDictionary<string, int> AcknowledgedProofs => _proofs;

    /// <summary>Calls that failed and were sent again (to the same or the next gateway).</summary>
    public long Resends => Interlocked.Read(ref _failovers);

    /// <summary>Holds the load (devices finish the call they are in) until <see cref="Resume"/>.</summary>
    public Task PauseAsync() => _running.WaitAsync();

    public void Resume() => _running.Release();

    public void Dispose() => _running.Dispose();

    public Task RunAsync(string tag, CancellationToken stop) => Task.WhenAll(devices.Select((_, d) => Task.Run(() => DeviceAsync(tag, d, stop), CancellationToken.None)));

    /// <summary>Sends exactly these items from device 0 (for a fixed backlog): scans in batches, proofs one by one.</summary>
    public async Task SendFixedAsync(string tag, int scans, int proofs)
    {
        for (var i = 0; i < scans; i += Batch)
        {
            await SendScansAsync(0, Enumerable.Range(i, Math.Min(Batch, scans - i)).Select(n => $"{tag}-s{n}").ToList(), CancellationToken.None);
        }

        for (var i = 0; i < proofs; i++)
        {
            await SendProofAsync(0, $"{tag}-p{i}", CancellationToken.None);
        }
    }

    private async Task DeviceAsync(string tag, int device, CancellationToken stop)
    {
        var perDevice = Math.Max(1.0, scansPerSecond / (double)devices.Count / Batch);
        var pace = TimeSpan.FromSeconds(1 / perDevice);
        var clock = Stopwatch.StartNew();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            await _running.WaitAsync(CancellationToken.None);
            _running.Release();
            await SendScansAsync(device, Enumerable.Range(0, Batch).Select(i => $"{tag}-d{device}-b{n}-{i}").ToList(), stop);
            if (proofEvery > 0 && n % proofEvery == proofEvery - 1)
            {
                await SendProofAsync(device, $"{tag}-d{device}-p{n}", stop);
            }

            var due = pace * (n + 1) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(due, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task SendScansAsync(int device, List<string> ids, CancellationToken stop)
    {
        var request = new RecordScansRequest();
        request.Events.AddRange(ids.Select((id, i) => new ScanEvent
        {
            EventId = id,
            Sequence = i,
            Barcode = "1Z999AA10123456784",
            RouteId = "R-0001",
            Type = ScanType.Loaded,
            ScannedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        }));
        var answer = await UntilAnsweredAsync(device, async channel => await new Edge.V1.Scans.ScansClient(channel).RecordScansAsync(request, devices[device], DateTime.UtcNow.AddSeconds(5)), stop);
        if (answer is null)
        {
            return;
        }

        for (var i = 0; i < ids.Count; i++)
        {
            if (answer.Results[i].Outcome is ScanResult.Types.Outcome.Accepted or ScanResult.Types.Outcome.Duplicate)
            {
                _scans.TryAdd(ids[i], 0);
            }
        }
    }

    private async Task SendProofAsync(int device, string id, CancellationToken stop)
    {
        var request = new SubmitProofRequest
        {
            ProofId = id,
            RouteId = "R-0001",
            StopId = closedStop.StopId,
            PackageIds = { closedStop.Packages[0].PackageId },
            DeliveredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Location = new DeviceLocation { Latitude = closedStop.Location.Latitude, Longitude = closedStop.Location.Longitude, AccuracyMeters = 6 },
            PlaceLeft = PlaceLeft.FrontDoor,
            PhotoSha256 = { photos[device] },
        };
        var answer = await UntilAnsweredAsync(device, async channel => await new Edge.V1.Proofs.ProofsClient(channel).SubmitProofAsync(request, devices[device], DateTime.UtcNow.AddSeconds(5)), stop);
        if (answer is not null)
        {
            _proofs.TryAdd(id, device);
        }
    }

    /// <summary>Sends until a gateway answers: its own first, then the next, as a device fails over.</summary>
    private async Task<T?> UntilAnsweredAsync<T>(int device, Func<GrpcChannel, Task<T>> call, CancellationToken stop)
        where T : class
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call(gateways[(device + attempt) % gateways.Count]);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown)
            {
                Interlocked.Increment(ref _failovers);
                if (stop.IsCancellationRequested && attempt > 200)
                {
                    return null;
                }

                await Task.Delay(100, CancellationToken.None);
            }
        }
    }
}

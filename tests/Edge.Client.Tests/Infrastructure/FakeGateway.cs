using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Edge.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Client.Tests.Infrastructure;

/// <summary>
/// A stand-in for the gateway's edge.v1 services on Kestrel over real HTTP/2 on loopback, for the parts of the
/// contract the gateway in this branch does not serve yet (scans, proofs, manifests). It keeps what it was sent and a
/// log of calls in order, and can be told to fail.
/// </summary>
public sealed class FakeGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeGateway(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public FakeState State => _app.Services.GetRequiredService<FakeState>();

    public static async Task<FakeGateway> StartAsync(FakeState? state = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(state ?? new FakeState());
        var app = builder.Build();
        app.MapGrpcService<FakeUploads>();
        app.MapGrpcService<FakeScans>();
        app.MapGrpcService<FakeProofs>();
        app.MapGrpcService<FakeManifests>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeGateway(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What the fake services hold; survives a restart of the fake when handed to the next one.</summary>
public sealed class FakeState
{
    private readonly Lock _gate = new();
    private readonly List<string> _log = [];
    private readonly List<Channel<V1.ProofReceipt>> _watchers = [];

    public ConcurrentDictionary<string, byte[]> Blobs { get; } = new();

    public ConcurrentDictionary<string, ScanEvent> Scans { get; } = new();

    public ConcurrentBag<int> ScanBatchSizes { get; } = [];

    public ConcurrentDictionary<string, SubmitProofRequest> Proofs { get; } = new();

    public ConcurrentDictionary<string, V1.ProofReceipt> Receipts { get; } = new();

    /// <summary>Reject the chunk at this offset once, as corrupted.</summary>
    public long? CorruptChunkAt { get; set; }

    /// <summary>Answer the first completed upload with DATA_LOSS.</summary>
    public bool DataLossOnce { get; set; }

    /// <summary>
    /// Answer an upload's start only once its first chunk has arrived: a client that waits for the answer before it
    /// sends a chunk never gets one.
    /// </summary>
    public bool HoldStartedUntilChunk { get; set; }

    /// <summary>At the next upload start, forget the bytes staged for it (an upload that expired): it continues from 0.</summary>
    public bool ForgetStagedOnce { get; set; }

    /// <summary>RecordScans calls to fail with UNAVAILABLE before one succeeds.</summary>
    public int ScanFailures { get; set; }

    /// <summary>When false, WatchReceipts answers UNIMPLEMENTED and receipts are learnt by polling.</summary>
    public bool WatchReceiptsServed { get; set; } = true;

    public Dictionary<string, V1.RouteManifest> Manifests { get; } = [];

    /// <summary>Known versions sent by GetManifest and WatchManifest calls, in order.</summary>
    public ConcurrentQueue<long> ManifestKnownVersions { get; } = new();

    /// <summary>End each manifest watch with UNAVAILABLE after it sent one manifest.</summary>
    public bool BreakWatchAfterOne { get; set; }

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_gate)
            {
                return [.. _log];
            }
        }
    }

    public void Record(string entry)
    {
        lock (_gate)
        {
            _log.Add(entry);
        }
    }

    /// <summary>The core commits the proof: its status changes and watchers hear of it.</summary>
    public void Commit(string proofId) => SetStatus(proofId, V1.ProofStatus.Committed);

    public void SetStatus(string proofId, V1.ProofStatus status)
    {
        var receipt = new V1.ProofReceipt { ProofId = proofId, Status = status, UpdatedAt = Timestamp.FromDateTime(DateTime.UtcNow) };
        Receipts[proofId] = receipt;
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(receipt);
            }
        }
    }

    public Channel<V1.ProofReceipt> Watch()
    {
        var channel = Channel.CreateUnbounded<V1.ProofReceipt>();
        lock (_gate)
        {
            _watchers.Add(channel);
        }

        return channel;
    }

    public void Unwatch(Channel<V1.ProofReceipt> channel)
    {
        lock (_gate)
        {
            _watchers.Remove(channel);
        }
    }

    /// <summary>Publishes a new version of a route's manifest to GetManifest and running watches.</summary>
    public void Publish(V1.RouteManifest manifest)
    {
        lock (_gate)
        {
            Manifests[manifest.RouteId] = manifest;
            ManifestPublished.TrySetResult();
            ManifestPublished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public V1.RouteManifest? Manifest(string routeId)
    {
        lock (_gate)
        {
            return Manifests.GetValueOrDefault(routeId);
        }
    }

    public TaskCompletionSource ManifestPublished { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal sealed class FakeUploads(FakeState state) : Edge.V1.Uploads.UploadsBase
{
    private static readonly ConcurrentDictionary<string, MemoryStream> Staged = new();

    public override Task<FindMissingBlobsResponse> FindMissingBlobs(FindMissingBlobsRequest request, ServerCallContext context)
        => Task.FromResult(new FindMissingBlobsResponse { MissingSha256 = { request.Sha256.Where(d => !state.Blobs.ContainsKey(d)) } });

    public override async Task Upload(IAsyncStreamReader<UploadRequest> requestStream, IServerStreamWriter<UploadResponse> responseStream, ServerCallContext context)
    {
        await requestStream.MoveNext();
        var start = requestStream.Current.Start;
        state.Record("upload-start:" + start.Sha256);
        if (state.Blobs.ContainsKey(start.Sha256))
        {
            await responseStream.WriteAsync(new UploadResponse { Started = new UploadStarted { BlobExists = true, Blob = new StoredBlob { Sha256 = start.Sha256 } } });
            return;
        }

        if (state.ForgetStagedOnce)
        {
            state.ForgetStagedOnce = false;
            Staged.TryRemove(start.UploadId, out _);
        }

        var staged = Staged.GetOrAdd(start.UploadId, _ => new MemoryStream());
        var pending = false;
        if (state.HoldStartedUntilChunk)
        {
            pending = await requestStream.MoveNext();
            state.Record("chunk-before-started:" + (pending ? requestStream.Current.Chunk.Offset : -1));
        }

        await responseStream.WriteAsync(new UploadResponse { Started = new UploadStarted { CommittedOffset = staged.Length, MaxChunkBytes = 1 << 20 } });
        while (staged.Length < start.SizeBytes && (pending || await requestStream.MoveNext()))
        {
            pending = false;
            var chunk = requestStream.Current.Chunk;
            if (chunk.Offset > staged.Length || chunk.Offset == state.CorruptChunkAt)
            {
                var reason = chunk.Offset == state.CorruptChunkAt ? ChunkRejected.Types.Reason.Crc32CMismatch : ChunkRejected.Types.Reason.WrongOffset;
                if (reason == ChunkRejected.Types.Reason.Crc32CMismatch)
                {
                    state.CorruptChunkAt = null;
                }

                await responseStream.WriteAsync(new UploadResponse { Rejected = new ChunkRejected { Reason = reason, Offset = chunk.Offset, ExpectedOffset = staged.Length } });
                continue;
            }

            // As docs/protocol.md says: of a chunk that starts below what is held, only the new bytes are kept.
            var held = (int)Math.Min(chunk.Data.Length, staged.Length - chunk.Offset);
            staged.Write(chunk.Data.Span[held..]);
            await responseStream.WriteAsync(new UploadResponse { Ack = new ChunkAck { CommittedOffset = staged.Length } });
        }

        Staged.TryRemove(start.UploadId, out _);
        var bytes = staged.ToArray();
        if (state.DataLossOnce || Convert.ToHexStringLower(SHA256.HashData(bytes)) != start.Sha256)
        {
            state.DataLossOnce = false;
            throw new RpcException(new Status(StatusCode.DataLoss, "digest mismatch"));
        }

        state.Blobs[start.Sha256] = bytes;
        state.Record("upload-done:" + start.Sha256);
        await responseStream.WriteAsync(new UploadResponse { Completed = new UploadCompleted { Blob = new StoredBlob { Sha256 = start.Sha256, StoredSizeBytes = bytes.Length } } });
    }
}

internal sealed class FakeScans(FakeState state) : Edge.V1.Scans.ScansBase
{
    public override Task<RecordScansResponse> RecordScans(RecordScansRequest request, ServerCallContext context)
    {
        if (state.ScanFailures > 0)
        {
            state.ScanFailures--;
            throw new RpcException(new Status(StatusCode.Unavailable, "core busy"));
        }

        state.ScanBatchSizes.Add(request.Events.Count);
        var response = new RecordScansResponse();
        foreach (var scan in request.Events)
        {
            var outcome = scan.Barcode.StartsWith("BAD", StringComparison.Ordinal) ? ScanResult.Types.Outcome.Rejected
                : state.Scans.TryAdd(scan.EventId, scan) ? ScanResult.Types.Outcome.Accepted
                : ScanResult.Types.Outcome.Duplicate;
            response.Results.Add(new ScanResult { EventId = scan.EventId, Outcome = outcome, Reason = outcome == ScanResult.Types.Outcome.Rejected ? "unknown barcode" : "" });
        }

        return Task.FromResult(response);
    }
}

internal sealed class FakeProofs(FakeState state) : Edge.V1.Proofs.ProofsBase
{
    public override Task<V1.ProofReceipt> SubmitProof(SubmitProofRequest request, ServerCallContext context)
    {
        state.Record("proof:" + request.ProofId);
        if (request.PhotoSha256.Any(d => !state.Blobs.ContainsKey(d)))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "photo not uploaded"));
        }

        state.Proofs[request.ProofId] = request;
        return Task.FromResult(state.Receipts.GetOrAdd(request.ProofId,
            id => new V1.ProofReceipt { ProofId = id, Status = V1.ProofStatus.Received, UpdatedAt = Timestamp.FromDateTime(DateTime.UtcNow) }));
    }

    public override Task<V1.ProofReceipt> GetProofStatus(GetProofStatusRequest request, ServerCallContext context)
        => state.Receipts.TryGetValue(request.ProofId, out var receipt)
            ? Task.FromResult(receipt)
            : throw new RpcException(new Status(StatusCode.NotFound, "no such proof"));

    public override async Task WatchReceipts(WatchReceiptsRequest request, IServerStreamWriter<V1.ProofReceipt> responseStream, ServerCallContext context)
    {
        if (!state.WatchReceiptsServed)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "not here"));
        }

        // As the gateway: subscribe, then replay what changed after `since`, then follow.
        var watch = state.Watch();
        try
        {
            if (request.Since is { } since)
            {
                foreach (var changed in state.Receipts.Values.Where(r => r.UpdatedAt.ToDateTimeOffset() > since.ToDateTimeOffset()).OrderBy(r => r.UpdatedAt))
                {
                    await responseStream.WriteAsync(changed);
                }
            }

            await foreach (var receipt in watch.Reader.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(receipt);
            }
        }
        finally
        {
            state.Unwatch(watch);
        }
    }
}

internal sealed class FakeManifests(FakeState state) : Edge.V1.Manifests.ManifestsBase
{
    public override Task<GetManifestResponse> GetManifest(GetManifestRequest request, ServerCallContext context)
    {
        state.ManifestKnownVersions.Enqueue(request.KnownVersion);
        var current = state.Manifest(request.RouteId) ?? throw new RpcException(new Status(StatusCode.NotFound, "no such route"));
        return Task.FromResult(current.Version == request.KnownVersion
            ? new GetManifestResponse { NotModified = true, Version = current.Version }
            : new GetManifestResponse { Manifest = current, Version = current.Version });
    }

    public override async Task WatchManifest(WatchManifestRequest request, IServerStreamWriter<GetManifestResponse> responseStream, ServerCallContext context)
    {
        state.ManifestKnownVersions.Enqueue(request.KnownVersion);
        var known = request.KnownVersion;
        while (!context.CancellationToken.IsCancellationRequested)
        {
            var published = state.ManifestPublished.Task;
            if (state.Manifest(request.RouteId) is { } current && current.Version > known)
            {
                known = current.Version;
                await responseStream.WriteAsync(new GetManifestResponse { Manifest = current, Version = current.Version });
                if (state.BreakWatchAfterOne)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "gateway draining"));
                }
            }

            await published.WaitAsync(context.CancellationToken);
        }
    }
}

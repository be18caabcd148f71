using Core.V1;
using Edge.CoreSim.Admin;
using Edge.CoreSim.Contract;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.CoreSim.Blobs;

internal sealed class BlobsService(BlobStore store, CoreCounters counters, IOptions<CoreSimulatorOptions> options, ILogger<BlobsService> logger)
    : Core.V1.Blobs.BlobsBase
{
    private const int MaxDigestsPerCall = 1000;

    public override Task<FindMissingBlobsResponse> FindMissingBlobs(FindMissingBlobsRequest request, ServerCallContext context)
    {
        if (request.Sha256.Count > MaxDigestsPerCall)
        {
            CoreErrors.InvalidArgument("sha256", $"at most {MaxDigestsPerCall} digests per call");
        }

        var checks = new FieldChecks();
        for (var i = 0; i < request.Sha256.Count; i++)
        {
            checks.Sha256($"sha256[{i}]", request.Sha256[i]);
        }

        checks.ThrowIfInvalid("Malformed digest.");

        var response = new FindMissingBlobsResponse();
        response.MissingSha256.AddRange(request.Sha256.Distinct(StringComparer.Ordinal).Where(digest => !store.Contains(digest)));
        counters.FindMissingBlobsServed();
        return Task.FromResult(response);
    }

    public override async Task<UploadBlobResponse> UploadBlob(IAsyncStreamReader<BlobChunk> requestStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var header = await requestStream.MoveNext(cancellationToken) ? requestStream.Current.Header : null;
        if (header is null)
        {
            CoreErrors.InvalidArgument("header", "the first message must carry the header");
        }

        var checks = new FieldChecks();
        checks.Sha256("header.sha256", header.Sha256);
        if (header.SizeBytes < 0 || header.SizeBytes > options.Value.MaxBlobBytes)
        {
            checks.Add("header.size_bytes", $"must be between 0 and {options.Value.MaxBlobBytes}");
        }

        checks.ThrowIfInvalid("Invalid blob header.");

        if (store.Contains(header.Sha256))
        {
            // Idempotent: the core has these bytes; read what was sent and keep nothing.
            while (await requestStream.MoveNext(cancellationToken))
            {
            }

            counters.BlobUploaded(header.Sha256);
            BlobsLog.AlreadyPresent(logger, header.Sha256);
            return new UploadBlobResponse { Sha256 = header.Sha256, SizeBytes = header.SizeBytes, AlreadyPresent = true };
        }

        await using var writer = store.BeginWrite(header.Sha256, header.SizeBytes);
        var chunk = requestStream.Current;
        while (true)
        {
            if (writer.WrittenBytes + chunk.Data.Length > header.SizeBytes)
            {
                CoreErrors.DataLoss($"Received more than header.size_bytes ({header.SizeBytes}) bytes; nothing was stored.");
            }

            await writer.WriteAsync(chunk.Data.Memory, cancellationToken);
            if (!await requestStream.MoveNext(cancellationToken))
            {
                break;
            }

            chunk = requestStream.Current;
            if (chunk.Header is not null)
            {
                CoreErrors.InvalidArgument("header", "only the first message may carry the header");
            }
        }

        var (stored, actualSha256) = await writer.CommitAsync(cancellationToken);
        if (!stored)
        {
            BlobsLog.DigestMismatch(logger, header.Sha256, actualSha256, writer.WrittenBytes);
            CoreErrors.DataLoss(
                $"Received {writer.WrittenBytes} bytes hashing to {actualSha256}, but the header says {header.SizeBytes} bytes hashing to {header.Sha256}; nothing was stored.");
        }

        counters.BlobUploaded(header.Sha256);
        BlobsLog.Stored(logger, header.Sha256, writer.WrittenBytes);
        return new UploadBlobResponse { Sha256 = header.Sha256, SizeBytes = writer.WrittenBytes };
    }
}

using System.IO.Compression;
using Edge.Gateway.Manifests;
using Edge.Gateway.Tests.Infrastructure;
using Edge.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Compression;

namespace Edge.Gateway.Tests.Manifests;

/// <summary>Manifest answers travel gzip-compressed to devices that accept gzip, over real HTTP/2.</summary>
[Collection(RedisCollection.Name)]
public sealed class ManifestCompressionTests(RedisServer redis)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetManifest_ClientAcceptsGzip_ManifestArrivesCompressedAndIdentical(bool useRedis)
    {
        await using var host = await GatewayHost.StartAsync(redis: useRedis ? redis.ConnectionString : null);
        var gzip = new CountingGzip();
        var compressed = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0001"], compression: [gzip]));
        var identity = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0001"], compression: []));

        var plain = await identity.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" });
        var answer = await compressed.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" });
        var again = await compressed.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" });

        Assert.Equal(2, gzip.MessagesRead);
        Assert.Equal(plain, answer);
        Assert.Equal(plain, again);
        Assert.Equal(120, answer.Manifest.Stops.Count);
        // The gzip bytes made once per version (smallest size), not a fresh compression per call (fastest, larger).
        Assert.Equal(2 * ManifestReply.From(plain).Gzip().Length, gzip.CompressedBytesRead);
        Assert.InRange(gzip.CompressedBytesRead, 1, plain.CalculateSize());
    }

    [Fact]
    public async Task GetManifest_ClientOffersNoEncoding_GetsIdentity()
    {
        await using var host = await GatewayHost.StartAsync();

        // A client with no encodings fails a call whose answer is compressed ("unsupported grpc-encoding").
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0001"], compression: []));
        var answer = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" });
        using var watch = client.WatchManifest(new WatchManifestRequest { RouteId = "R-0001" });
        Assert.True(await watch.ResponseStream.MoveNext());

        Assert.Equal(120, answer.Manifest.Stops.Count);
        Assert.Equal(answer.Manifest, watch.ResponseStream.Current.Manifest);
    }

    [Fact]
    public async Task GetManifest_NotModified_IsNotCompressed()
    {
        await using var host = await GatewayHost.StartAsync();
        var gzip = new CountingGzip();
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0001"], compression: [gzip]));

        var first = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" });
        var read = gzip.MessagesRead;
        var again = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001", KnownVersion = first.Version });

        Assert.Equal(1, read);
        Assert.True(again.NotModified);
        Assert.Equal(1, gzip.MessagesRead);
    }

    [Fact]
    public async Task WatchManifest_PushedVersionArrivesCompressed()
    {
        await using var host = await GatewayHost.StartAsync();
        var gzip = new CountingGzip();
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0002"], compression: [gzip]));

        using var watch = client.WatchManifest(new WatchManifestRequest { RouteId = "R-0002" });
        Assert.True(await watch.ResponseStream.MoveNext());

        Assert.Equal("R-0002", watch.ResponseStream.Current.Manifest.RouteId);
        Assert.Equal(1, gzip.MessagesRead);
    }

    [Fact]
    public async Task OtherServices_AnswerUncompressed_EvenWhenTheClientAcceptsGzip()
    {
        await using var host = await GatewayHost.StartAsync();
        var gzip = new CountingGzip();
        var health = new Health.HealthClient(host.Channel(deviceId: null, compression: [gzip]));

        var answer = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
        Assert.Equal(0, gzip.MessagesRead);
    }

    [Fact]
    public async Task GzipEncodedRequests_AreRead()
    {
        await using var host = await GatewayHost.StartAsync();
        var client = new V1.Manifests.ManifestsClient(host.Channel(routes: ["R-0001"], compression: [new CountingGzip()]));
        var sendGzip = new Metadata { { "grpc-internal-encoding-request", "gzip" } };

        var answer = await client.GetManifestAsync(new GetManifestRequest { RouteId = "R-0001" }, sendGzip);

        Assert.Equal("R-0001", answer.Manifest.RouteId);
    }

    [Fact]
    public void Provider_CompressesOtherMessagesAsPlainGzip()
    {
        var provider = new ManifestGzipProvider();
        var message = new GetManifestResponse { Version = 7, NotModified = true }.ToByteArray();
        var reply = ManifestReply.From(new GetManifestResponse { Version = 9 });

        var other = Compress(provider, message);
        var copy = message.ToArray();
        var precompressed = Compress(provider, reply.Payload, reply);
        var sameBytesOtherBuffer = Compress(provider, reply.Payload.ToArray(), reply);

        Assert.Equal(message, Inflate(other));
        Assert.Equal(reply.Payload, Inflate(precompressed));
        Assert.Same(reply.Gzip(), reply.Gzip());
        Assert.Equal(reply.Gzip(), precompressed);
        Assert.Equal(reply.Payload, Inflate(sameBytesOtherBuffer));
        Assert.Equal(copy, message);
    }

    private static byte[] Compress(ManifestGzipProvider provider, byte[] payload, ManifestReply? writing = null)
    {
        using var output = new MemoryStream();
        var context = new CapturingContext(() =>
        {
            using var stream = provider.CreateCompressionStream(output, CompressionLevel.Fastest);
            stream.Write(payload);
        });
        if (writing is null)
        {
            context.Complete(payload);
        }
        else
        {
            writing.WriteTo(context);
        }

        return output.ToArray();
    }

    private static byte[] Inflate(byte[] gzip)
    {
        using var inflate = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflate.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Runs the compression the way gRPC does: inside <c>Complete</c>, on the writing thread.</summary>
    private sealed class CapturingContext(Action compress) : SerializationContext
    {
        public override void Complete(byte[] payload) => compress();
    }

    /// <summary>A client-side gzip encoding that counts the messages and compressed bytes it inflates.</summary>
    private sealed class CountingGzip : ICompressionProvider
    {
        private int _messages;
        private long _bytes;

        public string EncodingName => "gzip";

        public int MessagesRead => Volatile.Read(ref _messages);

        public long CompressedBytesRead => Interlocked.Read(ref _bytes);

        public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel)
            => new GZipStream(stream, compressionLevel ?? CompressionLevel.Fastest, leaveOpen: true);

        public Stream CreateDecompressionStream(Stream stream)
        {
            Interlocked.Increment(ref _messages);
            var counting = new MemoryStream();
            stream.CopyTo(counting);
            Interlocked.Add(ref _bytes, counting.Length);
            counting.Position = 0;
            return new GZipStream(counting, CompressionMode.Decompress);
        }
    }
}

using Edge.Client.Tests.Infrastructure;

namespace Edge.Client.Tests.Uploads;

/// <summary>
/// Resuming an upload without waiting for the gateway's started answer, against a stand-in gateway over real HTTP/2
/// that can hold its answer back or forget what it held.
/// </summary>
public sealed class UploadResumeTests : IAsyncLifetime
{
    private readonly FakeState _state = new();
    private readonly string _photos = TestClients.NewDirectory("edge-photos-");
    private FakeGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await FakeGateway.StartAsync(_state);

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task UploadPhoto_GatewayAnswersStartOnlyAfterAChunk_Completes()
    {
        _state.HoldStartedUntilChunk = true;
        var path = TestPhotos.Jpeg(_photos, 800, 600, seed: 11);
        await using var client = new EdgeClient(TestClients.Options(_gateway.Address));

        // A hang guard, not a timing assertion: a client that waits for the started answer before it sends a chunk
        // never finishes against this gateway.
        var uploaded = await client.UploadPhotoAsync(path).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(TestPhotos.Sha256(path), uploaded.Sha256);
        Assert.Equal(await File.ReadAllBytesAsync(path), _state.Blobs[uploaded.Sha256]);
        Assert.Contains("chunk-before-started:0", _state.Log);
    }

    [Fact]
    public async Task UploadPhoto_GatewayForgotTheUploadDuringACut_ResendsFromItsOffset()
    {
        var path = TestPhotos.Jpeg(_photos, 3000, 2200, seed: 12);
        await using var proxy = new FaultyProxy(_gateway.Address);
        await using var client = new EdgeClient(TestClients.Options(proxy.Address));
        var cutAt = -1L;
        var progress = new InlineProgress<UploadProgress>(p =>
        {
            if (p.CommittedBytes >= 300_000 && cutAt < 0)
            {
                // The resume will send from here before it hears that the gateway now holds nothing.
                cutAt = p.CommittedBytes;
                _state.ForgetStagedOnce = true;
                proxy.CutAll();
            }
        });

        var uploaded = await client.UploadPhotoAsync(path, progress, CancellationToken.None);

        Assert.True(cutAt >= 300_000);
        Assert.Equal(await File.ReadAllBytesAsync(path), _state.Blobs[uploaded.Sha256]);
        // One stream before the cut, one after: the resume went back to 0 by itself, not through a DATA_LOSS restart.
        Assert.Equal(2, _state.Log.Count(entry => entry.StartsWith("upload-start:", StringComparison.Ordinal)));
    }
}

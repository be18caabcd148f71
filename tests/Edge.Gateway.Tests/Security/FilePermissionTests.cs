using Edge.Gateway.Security;
using Edge.Gateway.Tests.Infrastructure;

namespace Edge.Gateway.Tests.Security;

/// <summary>
/// What the gateway keeps on disk is its user's alone: the data directory 0700; the state file, staged bytes, stored
/// photos and the signing key 0600; the key created whole, under a unique work name, by exactly one of racing replicas.
/// (The gateway runs on Linux; these are Unix modes.)
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FilePermissionTests
{
    private const UnixFileMode Owner600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Owner700 = Owner600 | UnixFileMode.UserExecute;

    [Fact]
    public async Task DataDirectory_StateFile_StagedBytesAndPhotos_AreTheGatewayUsersOnly()
    {
        var parent = Directory.CreateTempSubdirectory("edge-perm-").FullName;
        var data = Path.Combine(parent, "data");
        await using var host = await GatewayHost.StartAsync(dataDirectory: data, settings: new Dictionary<string, string?> { ["Edge:Auth:SigningKey"] = null });
        var generatedKey = (await File.ReadAllTextAsync(Path.Combine(data, DeviceTokens.DefaultKeyFileName))).Trim();
        using var channel = TestChannels.Create(host.Address, TestTokens.Mint("device-1", signingKey: generatedKey));
        var client = new V1.Uploads.UploadsClient(channel);
        var photo = TestPhotos.PhoneJpeg();
        await TestUploader.UploadToEndAsync(client, "photo-1", photo);
        var partial = TestUploader.RandomBytes(300_000, seed: 7);
        // A cut upload whose first bytes the gateway has committed (the cut may come before any is, then again).
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await TestUploader.UploadAsync(client, "partial-1", partial, cutAt: 128 * 1024);
            if ((await client.QueryUploadAsync(new V1.QueryUploadRequest { UploadId = "partial-1" })).CommittedOffset > 0)
            {
                break;
            }
        }


        Assert.Equal(Owner700, File.GetUnixFileMode(data));
        var folders = Directory.GetDirectories(data, "*", SearchOption.AllDirectories).Where(d => !d.StartsWith(Path.Combine(data, "core"), StringComparison.Ordinal)).ToList();
        var files = Directory.GetFiles(data, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(Path.Combine(data, "core"), StringComparison.Ordinal)).ToList();
        Assert.Contains(files, f => f.EndsWith("edge.db", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".seg", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains(Path.Combine("blobs", "sha256"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(DeviceTokens.DefaultKeyFileName, StringComparison.Ordinal));
        Assert.All(folders, d => Assert.Equal((d, Owner700), (d, File.GetUnixFileMode(d))));
        Assert.All(files, f => Assert.Equal((f, Owner600), (f, File.GetUnixFileMode(f))));
    }

    [Fact]
    public async Task DataDirectory_MadeWithAWiderMode_IsNarrowedOnStart_AndAnOldStateFileToo()
    {
        var data = Directory.CreateTempSubdirectory("edge-perm-").FullName;
        File.SetUnixFileMode(data, Owner700 | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await File.WriteAllBytesAsync(Path.Combine(data, "edge.db"), []);
        File.SetUnixFileMode(Path.Combine(data, "edge.db"), Owner600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using var host = await GatewayHost.StartAsync(dataDirectory: data);

        Assert.Equal(Owner700, File.GetUnixFileMode(data));
        Assert.Equal(Owner600, File.GetUnixFileMode(Path.Combine(data, "edge.db")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void SigningKey_CreatedByRacingReplicas_IsOneWholeKey_0600_WithNoWorkFilesLeft(int round)
    {
        var data = Directory.CreateTempSubdirectory($"edge-key-{round}-").FullName;

        var keys = Enumerable.Range(0, 16).AsParallel().WithDegreeOfParallelism(16)
            .Select(_ => DeviceTokens.ResolveKey(new DeviceTokenOptions(), data, out string _).KeyId)
            .ToList();

        var file = Path.Combine(data, DeviceTokens.DefaultKeyFileName);
        Assert.Single(keys.Distinct());
        Assert.Equal(keys[0], DeviceTokens.KeyId(Convert.FromBase64String(File.ReadAllText(file))));
        Assert.Equal(Owner600, File.GetUnixFileMode(file));
        Assert.Equal([file], Directory.GetFiles(data));
    }
}

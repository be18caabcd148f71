using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Edge.LoadTest.Ghz;
using Edge.LoadTest.Uploads;
using Grpc.Net.Client;

namespace Edge.LoadTest.Tests;

/// <summary>A gateway process, and the ghz data files prepare-ghz made for it.</summary>
public sealed class PreparedGateway : IAsyncLifetime
{
    private Process? _gateway;

    public string Root { get; } = LoadTestProgram.FindRepositoryRoot();

    public string Work { get; } = Directory.CreateTempSubdirectory("edge-ghz-check-").FullName;

    public string Data => Path.Combine(Work, "ghz-data");

    public string Address { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var port = UploadGatewayRole.FreePort();
        // The real photo pipeline: a proof must name a validated photo.
        _gateway = await UploadGatewayRole.StartProcessAsync(port, Path.Combine(Work, "gateway"), key, null, "--pipeline", "photos");
        Address = $"127.0.0.1:{port}";
        var prepared = await GhzPreparation.RunAsync(ScenarioArguments.Parse(["--gateway", Address, "--signing-key", key, "--out", Data]));
        Assert.Equal(0, prepared);
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.StandardInput.WriteLineAsync("quit");
            if (!_gateway.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                _gateway.Kill(entireProcessTree: true);
            }

            _gateway.Dispose();
        }

        Directory.Delete(Work, recursive: true);
    }
}

/// <summary>
/// The ghz configs under loadtest/ghz, done as ghz would do them (short of the load) against a real gateway process
/// over HTTP/2, with the data prepare-ghz writes; and the check refusing configs that ghz would refuse or that would
/// not do what they say.
/// </summary>
public sealed class GhzConfigCheckTests(PreparedGateway gateway) : IClassFixture<PreparedGateway>
{
    private string Configs => Path.Combine(gateway.Root, "loadtest", "ghz");

    [Fact]
    public async Task EveryConfig_FindsItsCall_ParsesItsData_AndItsCallsEndOk()
    {
        var configs = Directory.GetFiles(Configs, "*.json");

        var report = new StringWriter();

        var result = await GhzConfigCheck.RunAsync(ScenarioArguments.Parse(
            ["--gateway", gateway.Address, "--configs", Configs, "--data", gateway.Data, "--calls", "2", "--root", gateway.Root]), report);

        Assert.True(result == 0, report.ToString());
        Assert.Equal(configs.Length, report.ToString().Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
        Assert.Equal(11, configs.Length); // Health/Check, and five calls by reflection and by proto
    }

    [Theory]
    [InlineData("concurency", "50", "'concurency' is not a ghz config key")]
    [InlineData("timeout", "\"10 seconds\"", "not a Go duration")]
    [InlineData("call", "\"edge.v1.Scans.RecordScan\"", "no method RecordScan")]
    [InlineData("call", "\"edge.v1.Scan.RecordScans\"", "server reflection does not know edge.v1.Scan")]
    [InlineData("data-file", "\"loadtest/ghz/data/missing.json\"", "missing.json")]
    public async Task AConfigGhzWouldRefuse_Fails_NamingWhy(string key, string value, string expected)
    {
        var config = await ChangedConfigAsync("recordscans.json", key, value);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => CheckAsync(config));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataWithAFieldTheRequestDoesNotHave_Fails()
    {
        var config = await ChangedConfigAsync("getmanifest.proto.json", "data", """{ "route": "R-0001" }""");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => CheckAsync(config));

        Assert.Contains("route", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScansTheGatewayRejects_Fail()
    {
        var scans = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(gateway.Data, "recordscans.json")))!;
        scans["events"]![0]!["route_id"] = "R-9999"; // not in the token
        var data = Path.Combine(gateway.Work, "bad-scans.json");
        await File.WriteAllTextAsync(data, scans.ToJsonString());
        var config = await ChangedConfigAsync("recordscans.json", "data-file", $"\"{data}\"");

        var error = await Assert.ThrowsAsync<GhzConfigException>(() => CheckAsync(config));

        Assert.Contains("rejected scan", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> CheckAsync(string config)
    {
        using var channel = GrpcChannel.ForAddress("http://" + gateway.Address);
        return await GhzConfigCheck.CheckAsync(config, new GhzConfigCheck.PathResolver(gateway.Root, gateway.Data), channel, calls: 1);
    }

    private async Task<string> ChangedConfigAsync(string name, string key, string json)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Configs, name)))!.AsObject();
        config[key] = JsonNode.Parse(json);
        var path = Path.Combine(gateway.Work, $"{Guid.NewGuid():N}-{name}");
        await File.WriteAllTextAsync(path, config.ToJsonString());
        return path;
    }
}

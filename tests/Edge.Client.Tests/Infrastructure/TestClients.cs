namespace Edge.Client.Tests.Infrastructure;

/// <summary>
/// Options for a client under test: short backoffs, an encrypted outbox, and a fresh one unless one is given; tokens
/// over cleartext allowed, since test gateways listen on loopback http://.
/// </summary>
public static class TestClients
{
    /// <summary>The outbox key of every test client (the same on every start, as the app's key store gives it).</summary>
    public static byte[] OutboxKey { get; } = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];

    public static EdgeClientOptions Options(Uri gateway, string? outbox = null, string deviceId = "sdk-device-1") => new()
    {
        GatewayAddress = gateway,
        AllowTokenOverCleartext = gateway.Scheme == Uri.UriSchemeHttp,
        TokenProvider = TokenProvider(deviceId),
        OutboxDirectory = outbox ?? NewDirectory("edge-outbox-"),
        OutboxKey = OutboxKey,
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(500),
        AttemptTimeout = TimeSpan.FromSeconds(30),
        ScanLinger = TimeSpan.FromMilliseconds(50),
    };

    public static string NewDirectory(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>A token provider for <see cref="EdgeClientOptions.TokenProvider"/> that hands out one token of the device.</summary>
    public static Func<CancellationToken, ValueTask<string>> TokenProvider(string deviceId)
    {
        var token = TestTokens.Mint(deviceId);
        return _ => ValueTask.FromResult(token);
    }
}

/// <summary>Reports on the thread that makes the report (Progress&lt;T&gt; posts to the thread pool, too late to steer a test).</summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

public static class Eventually
{
    /// <summary>Waits for a condition the system reaches on its own; fails the test after a generous hang guard.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Never happened: " + what);
            }

            await Task.Delay(25);
        }
    }
}

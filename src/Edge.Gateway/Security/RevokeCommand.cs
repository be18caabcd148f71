using Edge.Gateway.Hosting;

namespace Edge.Gateway.Security;

/// <summary>
/// <c>Edge.Gateway revoke-token --jti J</c> and <c>Edge.Gateway revoke-device --device D</c>: refuse one token, or
/// every token a device holds now (tokens issued to it later are accepted again, so a re-enrolled device works). Uses
/// the gateway's own configuration, so it writes to the same SQLite file or Redis; every replica refuses the token
/// within <see cref="DeviceTokenOptions.RevocationRefresh"/>.
/// </summary>
internal static class RevokeCommand
{
    public const string TokenName = "revoke-token";
    public const string DeviceName = "revoke-device";

    public static async Task<int> RunAsync(string name, string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var edge = builder.Configuration.GetSection(EdgeOptions.SectionName).Get<EdgeOptions>() ?? new EdgeOptions();
        var auth = builder.Configuration.GetSection(DeviceTokenOptions.SectionName).Get<DeviceTokenOptions>() ?? new DeviceTokenOptions();
        var (kind, option) = name == TokenName ? (RevocationKind.Token, "jti") : (RevocationKind.Device, "device");
        var id = builder.Configuration[option];
        if (string.IsNullOrWhiteSpace(id) || id.Length > DeviceTokenChecks.MaxTokenIdLength)
        {
            Console.Error.WriteLine($"usage: Edge.Gateway {TokenName} --jti <token id> | {DeviceName} --device <device id>");
            Console.Error.WriteLine("       plus any gateway setting (--Edge:Redis ..., --Edge:DataDirectory ...) to reach the same state.");
            return 2;
        }

        builder.Services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName);
        builder.Services.AddEdgeState(edge);
        using var host = builder.Build();
        var now = DateTimeOffset.UtcNow;
        // Every token it can refuse has expired by then: none lives longer than MaxLifetime (plus the skew).
        var until = now + auth.MaxLifetime + auth.ClockSkew;
        await host.Services.GetRequiredService<IRevocationStore>().AddAsync(new Revocation(kind, id, now, until), CancellationToken.None);
        Console.WriteLine(kind == RevocationKind.Token
            ? $"revoked token {id} (remembered until {until:O})"
            : $"revoked every token of device {id} issued up to {now:O} (remembered until {until:O})");
        return 0;
    }
}

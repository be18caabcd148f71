using System.Globalization;
using Edge.Gateway.Hosting;

namespace Edge.Gateway.Security;

/// <summary>
/// <c>Edge.Gateway mint-token --device D [--driver X] [--routes R1,R2] [--ttl 12:00:00]</c>: prints a device token
/// (with a fresh <c>jti</c>, at most <see cref="DeviceTokenOptions.MaxLifetime"/>) signed with the key the gateway would use under the same configuration (appsettings, <c>Edge__*</c> environment
/// variables, <c>--Edge:...</c> arguments).
/// </summary>
internal static class MintTokenCommand
{
    public const string Name = "mint-token";

    public static int Run(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();

        var device = configuration["device"];
        if (string.IsNullOrWhiteSpace(device))
        {
            Console.Error.WriteLine("usage: Edge.Gateway mint-token --device <id> [--driver <id>] [--routes <id,id,...>] [--ttl <hh:mm:ss>]");
            Console.Error.WriteLine("       plus any gateway setting, e.g. --Edge:DataDirectory data, to find the same signing key.");
            return 2;
        }

        var edge = configuration.GetSection(EdgeOptions.SectionName).Get<EdgeOptions>() ?? new EdgeOptions();
        var auth = configuration.GetSection(DeviceTokenOptions.SectionName).Get<DeviceTokenOptions>() ?? new DeviceTokenOptions();
        var ttl = TimeSpan.Parse(configuration["ttl"] ?? "12:00:00", CultureInfo.InvariantCulture);
        var routes = (configuration["routes"] ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ttl <= TimeSpan.Zero || ttl > auth.MaxLifetime)
        {
            Console.Error.WriteLine($"--ttl must be above zero and at most {auth.MaxLifetime} (Edge:Auth:MaxLifetime).");
            return 2;
        }

        var key = DeviceTokens.ResolveKey(auth, edge.DataDirectory, out var source);
        var token = DeviceTokens.Mint(key, auth, device, configuration["driver"] ?? string.Empty, routes, ttl, DateTimeOffset.UtcNow, out var tokenId);
        Console.Error.WriteLine($"signed with the key {key.KeyId} from {source}, valid for {ttl}, jti {tokenId} (revoke-token --jti {tokenId})");
        Console.WriteLine(token);
        return 0;
    }
}

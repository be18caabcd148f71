using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Edge.Gateway.Security;

/// <summary>Finds the signing key and mints device tokens (for local use and tests).</summary>
internal static class DeviceTokens
{
    /// <summary>Name of the key file created in the data directory when no key is configured.</summary>
    public const string DefaultKeyFileName = "device-signing.key";

    /// <summary>
    /// The configured key, or the key file's, or (creating it) a new random key in the data directory's key file.
    /// </summary>
    public static SymmetricSecurityKey ResolveKey(DeviceTokenOptions options, string dataDirectory, out string source)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            source = "configuration";
            return FromBase64(options.SigningKey, "Edge:Auth:SigningKey");
        }

        var file = string.IsNullOrWhiteSpace(options.SigningKeyFile)
            ? Path.Combine(Path.GetFullPath(dataDirectory), DefaultKeyFileName)
            : Path.GetFullPath(options.SigningKeyFile);
        source = file;
        if (!File.Exists(file))
        {
            if (!string.IsNullOrWhiteSpace(options.SigningKeyFile))
            {
                throw new InvalidOperationException($"Edge:Auth:SigningKeyFile {file} does not exist.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temp = file + ".tmp";
            File.WriteAllText(temp, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            try
            {
                File.Move(temp, file, overwrite: false);
            }
            catch (IOException) when (File.Exists(file))
            {
                File.Delete(temp); // another replica created it first
            }
        }

        return FromBase64(File.ReadAllText(file).Trim(), file);
    }

    /// <summary>A signed device token.</summary>
    public static string Mint(SymmetricSecurityKey key, DeviceTokenOptions options, string deviceId, string driverId,
        IEnumerable<string> routeIds, TimeSpan lifetime, DateTimeOffset now)
    {
        var claims = new List<Claim> { new(DeviceIdentity.DeviceClaim, deviceId) };
        if (!string.IsNullOrEmpty(driverId))
        {
            claims.Add(new Claim(DeviceIdentity.DriverClaim, driverId));
        }

        claims.AddRange(routeIds.Select(r => new Claim(DeviceIdentity.RoutesClaim, r)));
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.Add(lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static SymmetricSecurityKey FromBase64(string text, string where)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The device signing key in {where} is not valid base64.");
        }

        if (bytes.Length < 32)
        {
            throw new InvalidOperationException($"The device signing key in {where} has {bytes.Length} bytes; at least 32 are required.");
        }

        return new SymmetricSecurityKey(bytes) { KeyId = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] };
    }
}

using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Edge.Gateway.Storage;
using Microsoft.IdentityModel.Tokens;

namespace Edge.Gateway.Security;

/// <summary>Finds the signing keys and mints device tokens (for local use and tests).</summary>
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

            PrivateFiles.CreateDirectory(Path.GetDirectoryName(file)!);
            PrivateFiles.CreateOnce(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return FromBase64(File.ReadAllText(file).Trim(), file);
    }

    /// <summary>
    /// Every key a token may be signed with: the signing key first, then <see cref="DeviceTokenOptions.AdditionalSigningKeys"/>
    /// (a rotation). Each carries its key id.
    /// </summary>
    public static IReadOnlyList<SymmetricSecurityKey> ResolveValidationKeys(DeviceTokenOptions options, string dataDirectory)
    {
        var keys = new List<SymmetricSecurityKey> { ResolveKey(options, dataDirectory, out _) };
        for (var i = 0; i < options.AdditionalSigningKeys.Count; i++)
        {
            var key = FromBase64(options.AdditionalSigningKeys[i], $"Edge:Auth:AdditionalSigningKeys:{i}");
            if (!keys.Any(k => k.KeyId == key.KeyId))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    /// <summary>The key id (<c>kid</c>) of a key: the first 16 hex digits of its SHA-256.</summary>
    public static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..16];

    /// <summary>
    /// A signed device token with a fresh <c>jti</c> (returned in <paramref name="tokenId"/>), <c>iat</c>, and the
    /// key's <c>kid</c>. Refuses a lifetime above <see cref="DeviceTokenOptions.MaxLifetime"/>.
    /// </summary>
    public static string Mint(SymmetricSecurityKey key, DeviceTokenOptions options, string deviceId, string driverId,
        IEnumerable<string> routeIds, TimeSpan lifetime, DateTimeOffset now, out string tokenId)
    {
        if (lifetime <= TimeSpan.Zero || lifetime > options.MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, $"A device token lives longer than zero and at most {options.MaxLifetime} (Edge:Auth:MaxLifetime).");
        }

        tokenId = Guid.NewGuid().ToString("N");
        var claims = new List<Claim> { new(DeviceIdentity.DeviceClaim, deviceId), new(JwtRegisteredClaimNames.Jti, tokenId) };
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

    /// <summary>A signed device token (see the overload that returns its <c>jti</c>).</summary>
    public static string Mint(SymmetricSecurityKey key, DeviceTokenOptions options, string deviceId, string driverId,
        IEnumerable<string> routeIds, TimeSpan lifetime, DateTimeOffset now)
        => Mint(key, options, deviceId, driverId, routeIds, lifetime, now, out _);

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

        return new SymmetricSecurityKey(bytes) { KeyId = KeyId(bytes) };
    }
}

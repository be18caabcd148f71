using Edge.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Edge.Gateway.Security;

/// <summary>Device bearer tokens on every <c>edge.v1</c> call; health and reflection stay open.</summary>
internal static class EdgeAuthorization
{
    /// <summary>The policy every <c>edge.v1</c> service requires.</summary>
    public const string DevicePolicy = "Device";

    public static IServiceCollection AddEdgeDeviceAuthentication(this IServiceCollection services)
    {
        services.AddOptions<DeviceTokenOptions>().BindConfiguration(DeviceTokenOptions.SectionName)
            .Validate(o => o.MaxLifetime > TimeSpan.Zero && o.RevocationRefresh > TimeSpan.Zero, "Edge:Auth:MaxLifetime and RevocationRefresh must be positive.")
            // The keys are read (and the key file created) on start, so a bad key stops the gateway, not its first call.
            .Validate<IOptions<EdgeOptions>>((auth, edge) => DeviceTokens.ResolveValidationKeys(auth, edge.Value.DataDirectory).Count > 0)
            .ValidateOnStart();
        services.AddSingleton<CachingTokenHandler>();
        services.TryAddSingleton<RevocationList>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationList>());
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<DeviceTokenOptions>, IOptions<EdgeOptions>, CachingTokenHandler>((jwt, auth, edge, tokenHandler) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenHandlers.Clear();
                jwt.TokenHandlers.Add(tokenHandler);
                jwt.RequireHttpsMetadata = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    // A rotation: the signing key and the additional ones, each found by the token's kid; a token
                    // naming no configured key (or none) is refused without trying the others.
                    IssuerSigningKeys = DeviceTokens.ResolveValidationKeys(auth.Value, edge.Value.DataDirectory),
                    TryAllIssuerSigningKeys = false,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ClockSkew = auth.Value.ClockSkew,
                    RequireExpirationTime = true,
                    NameClaimType = DeviceIdentity.DeviceClaim,
                };
                jwt.Events = new JwtBearerEvents { OnTokenValidated = CheckDeviceToken };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(DevicePolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(DeviceIdentity.DeviceClaim));
        return services;
    }

    /// <summary>Runs on every call after the (cached) signature check: lifetime, jti and revocation.</summary>
    private static Task CheckDeviceToken(TokenValidatedContext context)
    {
        var services = context.HttpContext.RequestServices;
        var refusal = context.SecurityToken is JsonWebToken token
            // The wall clock, as the token library checks exp and nbf with: a clock a test holds still or moves must
            // not make a fresh token look issued in the future.
            ? DeviceTokenChecks.Refusal(token, services.GetRequiredService<IOptions<DeviceTokenOptions>>().Value,
                DateTimeOffset.UtcNow, services.GetRequiredService<RevocationList>())
            : "The token is not a JWT.";
        if (refusal is not null)
        {
            context.Fail(refusal);
        }

        return Task.CompletedTask;
    }
}

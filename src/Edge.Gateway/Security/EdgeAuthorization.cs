using Edge.Gateway.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Edge.Gateway.Security;

/// <summary>Device bearer tokens on every <c>edge.v1</c> call; health and reflection stay open.</summary>
internal static class EdgeAuthorization
{
    /// <summary>The policy every <c>edge.v1</c> service requires.</summary>
    public const string DevicePolicy = "Device";

    public static IServiceCollection AddEdgeDeviceAuthentication(this IServiceCollection services)
    {
        services.AddOptions<DeviceTokenOptions>().BindConfiguration(DeviceTokenOptions.SectionName);
        services.AddSingleton<CachingTokenHandler>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<DeviceTokenOptions>, IOptions<EdgeOptions>, CachingTokenHandler>((jwt, auth, edge, tokenHandler) =>
            {
                var key = DeviceTokens.ResolveKey(auth.Value, edge.Value.DataDirectory, out _);
                jwt.MapInboundClaims = false;
                jwt.TokenHandlers.Clear();
                jwt.TokenHandlers.Add(tokenHandler);
                jwt.RequireHttpsMetadata = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Value.Issuer,
                    ValidAudience = auth.Value.Audience,
                    IssuerSigningKey = key,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ClockSkew = auth.Value.ClockSkew,
                    RequireExpirationTime = true,
                    NameClaimType = DeviceIdentity.DeviceClaim,
                };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(DevicePolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(DeviceIdentity.DeviceClaim));
        return services;
    }
}

using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Edge.Gateway.Core;

/// <summary>
/// The token the gateway authenticates to the core with: <see cref="CoreOptions.AccessToken"/>, or, for the
/// in-process simulator when none is configured, a random one that only this process knows.
/// </summary>
internal sealed class CoreCredentials(IOptions<CoreOptions> options)
{
    /// <summary>The token sent as <c>authorization: Bearer</c> on every call to the core.</summary>
    public string AccessToken { get; } = string.IsNullOrEmpty(options.Value.AccessToken)
        ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        : options.Value.AccessToken;

    /// <summary>An HTTP handler that adds the token to every request sent through <paramref name="inner"/>.</summary>
    public HttpMessageHandler Authenticate(HttpMessageHandler inner) => new BearerHandler(AccessToken, inner);

    private sealed class BearerHandler(string token, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly AuthenticationHeaderValue _header = new("Bearer", token);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = _header;
            return base.SendAsync(request, cancellationToken);
        }
    }
}

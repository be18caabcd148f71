namespace Edge.Gateway.Hosting;

/// <summary>
/// TLS by default: outside Development the gateway listens on <see cref="ProductionUrl"/> and refuses to start with
/// a cleartext endpoint (or a TLS endpoint without a certificate) unless <see cref="TransportOptions.AllowCleartext"/>
/// says so. In Development (what <c>dotnet run</c> uses, through launchSettings.json) it listens on
/// <see cref="DevelopmentUrl"/>: cleartext, loopback only.
/// </summary>
internal static class TransportSecurity
{
    /// <summary>Default address in Development: cleartext HTTP/2 on loopback.</summary>
    public const string DevelopmentUrl = "http://localhost:5080";

    /// <summary>Default address elsewhere: TLS (HTTP/2 by ALPN) on every interface.</summary>
    public const string ProductionUrl = "https://0.0.0.0:5080";

    /// <summary>The address used when none is configured.</summary>
    public static string DefaultUrl(IHostEnvironment environment) => environment.IsDevelopment() ? DevelopmentUrl : ProductionUrl;

    /// <summary>
    /// Why the gateway must not start with these listening addresses, or null when it may: a cleartext address is
    /// allowed on loopback in Development or with <see cref="TransportOptions.AllowCleartext"/>; a TLS address needs a
    /// certificate (<c>Kestrel:Certificates:Default</c>, or the endpoint's own) outside Development.
    /// </summary>
    public static string? Refusal(IConfiguration configuration, IHostEnvironment environment, string? defaultUrl)
    {
        var allowCleartext = configuration.GetValue<bool>($"{TransportOptions.SectionName}:{nameof(TransportOptions.AllowCleartext)}");
        var defaultCertificate = configuration.GetSection("Kestrel:Certificates:Default").GetChildren().Any();
        foreach (var (url, hasCertificate) in Endpoints(configuration, defaultUrl))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                continue;
            }

            if (uri.Scheme == Uri.UriSchemeHttp && !allowCleartext && !(environment.IsDevelopment() && uri.IsLoopback))
            {
                return $"The gateway would listen on {url} in cleartext: device tokens and photos would cross the network readable. "
                    + "Listen with TLS (an https:// address and Kestrel:Certificates:Default:Path/KeyPath), or set Edge:Transport:AllowCleartext=true "
                    + "behind a proxy that terminates TLS. Development (ASPNETCORE_ENVIRONMENT=Development) allows cleartext on loopback only.";
            }

            if (uri.Scheme == Uri.UriSchemeHttps && !hasCertificate && !defaultCertificate && !environment.IsDevelopment())
            {
                return $"The gateway would listen on {url} with TLS but has no certificate: set Kestrel:Certificates:Default:Path (and KeyPath for a PEM key), "
                    + "or set Edge:Transport:AllowCleartext=true and an http:// address (--urls) behind a proxy that terminates TLS.";
            }
        }

        return null;
    }

    private static IEnumerable<(string Url, bool HasCertificate)> Endpoints(IConfiguration configuration, string? defaultUrl)
    {
        var urls = configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? defaultUrl;
        foreach (var url in (urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return (url, false);
        }

        foreach (var port in (configuration["http_ports"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return ($"http://0.0.0.0:{port}", false);
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { } url)
            {
                yield return (url, endpoint.GetSection("Certificate").GetChildren().Any());
            }
        }
    }
}

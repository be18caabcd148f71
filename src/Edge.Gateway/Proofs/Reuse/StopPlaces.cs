using System.Security.Cryptography;
using System.Text;
using Edge.Gateway.Manifests;
using Edge.V1;
using Grpc.Core;

namespace Edge.Gateway.Proofs.Reuse;

/// <summary>
/// The place a stop delivers to, as a fingerprint of its manifest address: two stops of different routes (another
/// day, another driver) at the same address have the same place, so a second delivery there is a repeat delivery, not
/// reuse. The index keeps the fingerprint, never the address.
/// </summary>
internal sealed class StopPlaces(ManifestCache manifests)
{
    /// <summary>The stop's place, or empty when its manifest or address is not known.</summary>
    public async ValueTask<string> FindAsync(string routeId, string stopId, CancellationToken cancellationToken)
    {
        try
        {
            var lookup = await manifests.GetAsync(routeId, cancellationToken);
            return lookup.Entry.FindStop(stopId)?.Address is { } address ? Fingerprint(address) : string.Empty;
        }
        catch (RpcException)
        {
            // The rules read the same manifest a moment ago; without it the check falls back to route and stop.
            return string.Empty;
        }
    }

    /// <summary>
    /// 16 hex characters of SHA-256 over the address lines, postal code and country, compared without case and with
    /// runs of white space as one space; empty when the address has no first line.
    /// </summary>
    public static string Fingerprint(Address address)
    {
        if (string.IsNullOrWhiteSpace(address.Line1))
        {
            return string.Empty;
        }

        var text = string.Join('\n', new[] { address.Line1, address.Line2, address.PostalCode, address.CountryCode }
            .Select(part => string.Join(' ', part.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant()));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
    }
}

using System.Text.RegularExpressions;

namespace Edge.Gateway.Scans;

/// <summary>Field checks shared by scans and proofs.</summary>
internal static partial class IntakeChecks
{
    /// <summary>Client-made ids (event, proof) and manifest ids: 1-128 characters of [A-Za-z0-9._:-].</summary>
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    public static partial Regex Id();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    public static partial Regex Sha256();

    public static bool IsId(string value) => Id().IsMatch(value);

    /// <summary>Empty, or a well-formed id.</summary>
    public static bool IsOptionalId(string value) => value.Length == 0 || Id().IsMatch(value);

    public static string? CheckLocation(V1.DeviceLocation? location)
    {
        if (location is null)
        {
            return null;
        }

        if (!double.IsFinite(location.Latitude) || location.Latitude is < -90 or > 90)
        {
            return "latitude must be within -90..90";
        }

        if (!double.IsFinite(location.Longitude) || location.Longitude is < -180 or > 180)
        {
            return "longitude must be within -180..180";
        }

        return !double.IsFinite(location.AccuracyMeters) || location.AccuracyMeters < 0 ? "accuracy_meters must be 0 or more" : null;
    }

    public static global::Core.V1.DeviceLocation? ToCore(V1.DeviceLocation? location)
        => location is null ? null : new global::Core.V1.DeviceLocation { Latitude = location.Latitude, Longitude = location.Longitude, AccuracyMeters = location.AccuracyMeters };
}

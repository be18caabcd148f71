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

    /// <summary>What every client time must be: a valid <c>google.protobuf.Timestamp</c>.</summary>
    public const string TimeRange = "not a valid time (years 0001-9999, nanos 0-999999999)";

    // google.protobuf.Timestamp's own range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
    private const long MinTimestampSeconds = -62_135_596_800;
    private const long MaxTimestampSeconds = 253_402_300_799;

    /// <summary>
    /// The time a client sent, or null when it is outside what <c>google.protobuf.Timestamp</c> allows (where
    /// <see cref="Google.Protobuf.WellKnownTypes.Timestamp.ToDateTimeOffset"/> would throw).
    /// </summary>
    public static DateTimeOffset? ToTime(Google.Protobuf.WellKnownTypes.Timestamp timestamp)
        => timestamp.Seconds is < MinTimestampSeconds or > MaxTimestampSeconds || timestamp.Nanos is < 0 or > 999_999_999
            ? null
            : timestamp.ToDateTimeOffset();

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

}

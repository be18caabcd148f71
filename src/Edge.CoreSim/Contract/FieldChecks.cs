using System.Buffers;
using Google.Rpc;

namespace Edge.CoreSim.Contract;

/// <summary>Collects the field violations of one request, so a caller hears of all of them at once.</summary>
internal sealed class FieldChecks
{
    private static readonly SearchValues<char> IdCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    private readonly List<BadRequest.Types.FieldViolation> _violations = [];

    public bool IsValid => _violations.Count == 0;

    /// <summary>The violations as one line, e.g. for a per-item rejection reason.</summary>
    public string Summary => string.Join("; ", _violations.Select(v => $"{v.Field}: {v.Description}"));

    public static bool IsId(string value)
        => value.Length is >= 1 and <= 128 && !value.AsSpan().ContainsAnyExcept(IdCharacters);

    public static bool IsSha256(string value)
        => value.Length == 64 && !value.AsSpan().ContainsAnyExcept(LowerHex);

    public void Id(string field, string value)
    {
        if (!IsId(value))
        {
            Add(field, "required: 1-128 characters of [A-Za-z0-9._:-]");
        }
    }

    public void Required(string field, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "required");
        }
    }

    public void Required(string field, object? value)
    {
        if (value is null)
        {
            Add(field, "required");
        }
    }

    public void Sha256(string field, string value)
    {
        if (!IsSha256(value))
        {
            Add(field, "must be a SHA-256 digest: 64 lowercase hex characters");
        }
    }

    public void Location(string field, double latitude, double longitude, double accuracyMeters)
    {
        if (!(latitude is >= -90 and <= 90) || !(longitude is >= -180 and <= 180) || !(accuracyMeters >= 0))
        {
            Add(field, "latitude must be in [-90, 90], longitude in [-180, 180], accuracy_meters >= 0");
        }
    }

    public void Add(string field, string description)
        => _violations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });

    /// <summary>Throws INVALID_ARGUMENT listing every violation, if there is any.</summary>
    public void ThrowIfInvalid(string message)
    {
        if (!IsValid)
        {
            CoreErrors.InvalidArgument(message, _violations);
        }
    }
}

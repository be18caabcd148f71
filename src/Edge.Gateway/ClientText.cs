using System.Globalization;
using System.Text;

namespace Edge.Gateway;

/// <summary>
/// Client-supplied text (ids, content types, anything a device sent) made safe to put into a status message or a log
/// placeholder: cut to a bounded length, with the original length said, and with control and format characters
/// (line breaks, escape sequences, bidirectional overrides) escaped, so a device can neither flood a header nor forge
/// a log line.
/// </summary>
internal static class ClientText
{
    /// <summary>Longest client string kept whole: every well-formed id (1-128 characters) fits.</summary>
    public const int MaxLength = 128;

    /// <summary>Longest status message the gateway sends (grpc-message is a header; clients cap headers).</summary>
    public const int MaxMessageLength = 512;

    /// <summary>
    /// The value itself when it is short and printable (no copy); else at most <paramref name="maxLength"/> characters
    /// of it with control characters escaped (<c>\n</c>, <c>\u001b</c>), followed by <c>...(N chars)</c> when cut.
    /// </summary>
    public static string Bound(string? value, int maxLength = MaxLength)
    {
        if (value is null)
        {
            return string.Empty;
        }

        if (value.Length <= maxLength && IsPlain(value))
        {
            return value;
        }

        var text = new StringBuilder(Math.Min(value.Length, maxLength) + 24);
        var i = 0;
        while (i < value.Length)
        {
            var c = value[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            var piece = pair ? value.Substring(i, 2) : NeedsEscape(c) ? Escape(c) : null;
            var length = piece?.Length ?? 1;
            if (text.Length + length > maxLength)
            {
                break;
            }

            if (piece is null)
            {
                text.Append(c);
            }
            else
            {
                text.Append(piece);
            }

            i += pair ? 2 : 1;
        }

        if (i < value.Length)
        {
            text.Append("...(").Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(" chars)");
        }

        return text.ToString();
    }

    /// <summary>True when the text has no character that <see cref="Bound"/> would escape.</summary>
    public static bool IsPlain(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (NeedsEscape(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool NeedsEscape(char c)
        => char.IsControl(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c)
            is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static string Escape(char c) => c switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
    };
}

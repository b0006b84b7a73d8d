using System.Buffers;
using System.Globalization;
using System.Text;

namespace Okome.Caching.Status;

/// <summary>
/// Formats and parses the RFC 9211 <c>Cache-Status</c> response header: an RFC 8941 structured-field list with one
/// member per cache the response went through, the cache nearest the origin first.
/// </summary>
public static class CacheStatusHeader
{
    /// <summary>The header name.</summary>
    public const string Name = "Cache-Status";

    private const int StackLimit = 512;

    /// <summary>Formats one member, for example <c>OKOME; fwd=miss; stored</c>.</summary>
    /// <param name="entry">The member.</param>
    /// <returns>The header text.</returns>
    /// <exception cref="ArgumentException"><paramref name="entry"/> is the default value.</exception>
    public static string Format(in CacheStatusEntry entry) => Format([entry]);

    /// <summary>Formats a list of members, separated by <c>", "</c>.</summary>
    /// <param name="entries">The members, the cache nearest the origin first.</param>
    /// <returns>The header text; empty for an empty list.</returns>
    /// <exception cref="ArgumentException">A member is the default value.</exception>
    public static string Format(params ReadOnlySpan<CacheStatusEntry> entries)
    {
        var bound = 0;
        foreach (var entry in entries)
        {
            bound += MaxLength(entry);
        }

        char[]? rented = null;
        var buffer = bound <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(bound));
        try
        {
            TryFormat(entries, buffer, out var written);
            return new string(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Formats a list of members into <paramref name="destination"/> without allocating.</summary>
    /// <param name="entries">The members, the cache nearest the origin first.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="charsWritten">How many characters were written; 0 when the method returns <see langword="false"/>.</param>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is too small.</returns>
    /// <exception cref="ArgumentException">A member is the default value.</exception>
    public static bool TryFormat(ReadOnlySpan<CacheStatusEntry> entries, Span<char> destination, out int charsWritten)
    {
        var writer = new Writer(destination);
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].CacheName is null)
            {
                throw new ArgumentException("A Cache-Status member is the default value; create it with its constructor.", nameof(entries));
            }

            if (i > 0)
            {
                writer.Append(", ");
            }

            WriteEntry(ref writer, entries[i]);
        }

        charsWritten = writer.Ok ? writer.Position : 0;
        return writer.Ok;
    }

    /// <summary>
    /// Parses a <c>Cache-Status</c> value (several field lines joined with <c>", "</c>). Follows the RFC 8941 list
    /// grammar strictly (any syntax error fails the whole field, as RFC 8941 requires); members that are not a token
    /// or string, or that are inner lists, fail it too. Unknown parameters, and known ones with a value of the wrong
    /// type or an unknown <c>fwd</c> value, are ignored; for a repeated parameter the last one wins. An empty value is
    /// an empty list. Never throws.
    /// </summary>
    /// <param name="value">The header value.</param>
    /// <param name="entries">The members in order; empty when the method returns <see langword="false"/>.</param>
    /// <returns>Whether the value is a valid <c>Cache-Status</c> list.</returns>
    public static bool TryParse(ReadOnlySpan<char> value, out IReadOnlyList<CacheStatusEntry> entries)
    {
        var parser = new CacheStatusParser(value);
        if (parser.TryParseList(out var list))
        {
            entries = list;
            return true;
        }

        entries = [];
        return false;
    }

    private static int MaxLength(in CacheStatusEntry entry)
        => 160 + (2 * ((entry.CacheName?.Length ?? 0) + (entry.Key?.Length ?? 0) + (entry.Detail?.Length ?? 0)));

    private static void WriteEntry(ref Writer writer, in CacheStatusEntry entry)
    {
        // Parameter order follows the examples of RFC 9211 section 3 ("fwd=uri-miss; collapsed; stored").
        WriteTokenOrString(ref writer, entry.CacheName);
        if (entry.Hit)
        {
            writer.Append("; hit");
        }

        if (entry.Forward != CacheForwardReason.None)
        {
            writer.Append("; fwd=");
            writer.Append(ForwardText(entry.Forward));
        }

        if (entry.ForwardStatus is { } status)
        {
            writer.Append("; fwd-status=");
            writer.Append(status);
        }

        if (entry.TimeToLive is { } ttl)
        {
            // sf-integer holds at most 15 digits.
            writer.Append("; ttl=");
            writer.Append(Math.Clamp(ttl, -999_999_999_999_999, 999_999_999_999_999));
        }

        if (entry.Collapsed)
        {
            writer.Append("; collapsed");
        }

        if (entry.Stored)
        {
            writer.Append("; stored");
        }

        if (entry.Key is { } key)
        {
            writer.Append("; key=");
            WriteString(ref writer, key);
        }

        if (entry.Detail is { } detail)
        {
            writer.Append("; detail=");
            WriteTokenOrString(ref writer, detail);
        }
    }

    private static void WriteTokenOrString(ref Writer writer, string value)
    {
        if (StructuredFieldText.IsToken(value))
        {
            writer.Append(value);
        }
        else
        {
            WriteString(ref writer, value);
        }
    }

    private static void WriteString(ref Writer writer, string value)
    {
        writer.Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                writer.Append('\\');
            }

            writer.Append(c);
        }

        writer.Append('"');
    }

    internal static string ForwardText(CacheForwardReason reason) => reason switch
    {
        CacheForwardReason.Bypass => "bypass",
        CacheForwardReason.Method => "method",
        CacheForwardReason.UriMiss => "uri-miss",
        CacheForwardReason.VaryMiss => "vary-miss",
        CacheForwardReason.Miss => "miss",
        CacheForwardReason.Request => "request",
        CacheForwardReason.Stale => "stale",
        CacheForwardReason.Partial => "partial",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a defined forward reason."),
    };

    private ref struct Writer(Span<char> destination)
    {
        private readonly Span<char> _destination = destination;

        public int Position { get; private set; }

        public bool Ok { get; private set; } = true;

        public void Append(char c)
        {
            if (Ok && Position < _destination.Length)
            {
                _destination[Position++] = c;
            }
            else
            {
                Ok = false;
            }
        }

        public void Append(string text)
        {
            if (Ok && text.AsSpan().TryCopyTo(_destination[Position..]))
            {
                Position += text.Length;
            }
            else
            {
                Ok = false;
            }
        }

        public void Append(long number)
        {
            if (Ok && number.TryFormat(_destination[Position..], out var written, default, CultureInfo.InvariantCulture))
            {
                Position += written;
            }
            else
            {
                Ok = false;
            }
        }
    }
}

using Okome.Shared.StructuredFields;

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
    internal static string Format(in CacheStatusEntry entry) => Format([entry]);

    /// <summary>Formats a list of members, separated by <c>", "</c>.</summary>
    /// <param name="entries">The members, the cache nearest the origin first.</param>
    /// <returns>The header text; empty for an empty list.</returns>
    /// <exception cref="ArgumentException">A member is the default value.</exception>
    public static string Format(params ReadOnlySpan<CacheStatusEntry> entries)
    {
        var writer = new StructuredFieldWriter(stackalloc char[StackLimit], canGrow: true);
        try
        {
            WriteEntries(ref writer, entries);
            return writer.ToString();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Formats a list of members into <paramref name="destination"/> without allocating.</summary>
    /// <param name="entries">The members, the cache nearest the origin first.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="charsWritten">How many characters were written; 0 when the method returns <see langword="false"/>.</param>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is too small.</returns>
    /// <exception cref="ArgumentException">A member is the default value.</exception>
    internal static bool TryFormat(ReadOnlySpan<CacheStatusEntry> entries, Span<char> destination, out int charsWritten)
    {
        var writer = new StructuredFieldWriter(destination, canGrow: false);
        WriteEntries(ref writer, entries);
        charsWritten = writer.Ok ? writer.Length : 0;
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
        entries = [];
        if (!StructuredFieldParser.TryParseList(value, out var members))
        {
            return false;
        }

        var list = new List<CacheStatusEntry>(members.Count);
        foreach (var member in members)
        {
            // RFC 9211 identifies a cache by a non-empty token or string; the record struct needs a name too.
            if (member.IsInnerList || !member.Value.IsNonEmptyStringOrToken)
            {
                return false;
            }

            list.Add(ReadEntry(member.Value.Text!, member.Parameters));
        }

        entries = list;
        return true;
    }

    private static CacheStatusEntry ReadEntry(string name, Parameters parameters)
    {
        var entry = new CacheStatusEntry(name);
        foreach (var (key, value) in parameters.AsSpan())
        {
            // Unknown parameters are ignored (RFC 9211 section 2); a known one of the wrong type counts as absent.
            entry = key switch
            {
                "hit" => entry with { Hit = value.Boolean },
                "stored" => entry with { Stored = value.Boolean },
                "collapsed" => entry with { Collapsed = value.Boolean },
                "fwd" => entry with { ForwardReason = value.Kind == BareItemKind.Token ? ParseForward(value.Text) : CacheForwardReason.None },
                "fwd-status" => entry with { ForwardStatus = value.Kind == BareItemKind.Integer && value.Integer is >= 0 and <= int.MaxValue ? (int)value.Integer : null },
                "ttl" => entry with { TimeToLive = value.Kind == BareItemKind.Integer ? value.Integer : null },
                "key" => entry with { Key = value.Kind is BareItemKind.String or BareItemKind.DisplayString ? PrintableOrNull(value.Text) : null },
                "detail" => entry with { Detail = value.Kind is BareItemKind.Token or BareItemKind.String or BareItemKind.DisplayString ? PrintableOrNull(value.Text) : null },
                _ => entry,
            };
        }

        return entry;
    }

    // A display string may hold any Unicode; the entry holds printable ASCII only (it would throw otherwise).
    private static string? PrintableOrNull(string? text)
        => !string.IsNullOrEmpty(text) && StructuredFieldSyntax.IsPrintableAscii(text) ? text : null;

    private static CacheForwardReason ParseForward(string? text) => text switch
    {
        "bypass" => CacheForwardReason.Bypass,
        "method" => CacheForwardReason.Method,
        "uri-miss" => CacheForwardReason.UriMiss,
        "vary-miss" => CacheForwardReason.VaryMiss,
        "miss" => CacheForwardReason.Miss,
        "request" => CacheForwardReason.Request,
        "stale" => CacheForwardReason.Stale,
        "partial" => CacheForwardReason.Partial,
        _ => CacheForwardReason.None,
    };

    private static void WriteEntries(ref StructuredFieldWriter writer, ReadOnlySpan<CacheStatusEntry> entries)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].CacheName is null)
            {
                throw new ArgumentException("A Cache-Status member is the default value; create it with its constructor.", nameof(entries));
            }

            if (i > 0)
            {
                writer.AppendRaw(", ");
            }

            WriteEntry(ref writer, entries[i]);
        }
    }

    private static void WriteEntry(ref StructuredFieldWriter writer, in CacheStatusEntry entry)
    {
        // Parameter order follows the examples of RFC 9211 section 3 ("fwd=uri-miss; collapsed; stored").
        writer.AppendTokenOrString(entry.CacheName);
        if (entry.Hit)
        {
            writer.AppendRaw("; hit");
        }

        if (entry.Forward is { } forward)
        {
            writer.AppendRaw("; fwd=");
            writer.AppendRaw(forward);
        }

        if (entry.ForwardStatus is { } status)
        {
            writer.AppendRaw("; fwd-status=");
            writer.AppendInteger(status);
        }

        if (entry.TimeToLive is { } ttl)
        {
            writer.AppendRaw("; ttl=");
            writer.AppendInteger(ttl); // clamped to the 15 digits of an sf-integer
        }

        if (entry.Collapsed)
        {
            writer.AppendRaw("; collapsed");
        }

        if (entry.Stored)
        {
            writer.AppendRaw("; stored");
        }

        if (entry.Key is { } key)
        {
            writer.AppendRaw("; key=");
            writer.AppendString(key);
        }

        if (entry.Detail is { } detail)
        {
            writer.AppendRaw("; detail=");
            writer.AppendTokenOrString(detail);
        }
    }

    /// <summary>The RFC 9211 token of a <c>fwd</c> value; <see langword="null"/> for <see cref="CacheForwardReason.None"/>.</summary>
    internal static string? ForwardText(CacheForwardReason reason) => reason switch
    {
        CacheForwardReason.Bypass => "bypass",
        CacheForwardReason.Method => "method",
        CacheForwardReason.UriMiss => "uri-miss",
        CacheForwardReason.VaryMiss => "vary-miss",
        CacheForwardReason.Miss => "miss",
        CacheForwardReason.Request => "request",
        CacheForwardReason.Stale => "stale",
        CacheForwardReason.Partial => "partial",
        _ => null,
    };
}

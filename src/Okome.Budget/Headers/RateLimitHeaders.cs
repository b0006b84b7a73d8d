using System.Globalization;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Shared.StructuredFields;

namespace Okome.Budget.Headers;

/// <summary>
/// Formats and parses the <c>RateLimit-Policy</c> and <c>RateLimit</c> fields of draft-ietf-httpapi-ratelimit-headers-10
/// (Structured Field Lists: <c>"daily";q=1000;qu="requests";w=86400</c>, <c>"daily";r=50;t=30</c>) and <c>Retry-After</c>
/// in delay-seconds. Parsers never throw: they return <see langword="false"/> for a field that is not a valid list, and skip
/// members whose required parameter (<c>q</c>, <c>r</c>) is missing or invalid, as the draft says.
/// </summary>
public static class RateLimitHeaders
{
    /// <summary>The <c>RateLimit-Policy</c> field name.</summary>
    public const string PolicyFieldName = "RateLimit-Policy";

    /// <summary>The <c>RateLimit</c> field name.</summary>
    public const string RateLimitFieldName = "RateLimit";

    /// <summary>The <c>Retry-After</c> field name.</summary>
    public const string RetryAfterFieldName = "Retry-After";

    private const int StackLimit = 256;

    private delegate void MemberWriter<T>(ref StructuredFieldWriter writer, in T item);

    /// <summary>Formats a <c>RateLimit-Policy</c> field value.</summary>
    /// <param name="items">The policies.</param>
    /// <returns>The field value, for example <c>"burst";q=100;w=60, "daily";q=1000;qu="requests";w=86400</c>.</returns>
    public static string FormatPolicy(IEnumerable<RateLimitPolicyItem> items)
        => FormatList(items, static (ref writer, in item) =>
        {
            ArgumentException.ThrowIfNullOrEmpty(item.Name, nameof(items)); // a default(RateLimitPolicyItem)
            writer.AppendString(item.Name);
            AppendInteger(ref writer, ";q=", item.Quota);
            if (item.QuotaUnit is not null)
            {
                writer.AppendRaw(";qu=");
                writer.AppendString(item.QuotaUnit);
            }

            if (item.WindowSeconds is { } w)
            {
                AppendInteger(ref writer, ";w=", w);
            }
        });

    /// <summary>Formats a <c>RateLimit</c> field value.</summary>
    /// <param name="items">The remaining quota per policy.</param>
    /// <returns>The field value, for example <c>"daily";r=50;t=30</c>.</returns>
    public static string FormatRateLimit(IEnumerable<RateLimitItem> items)
        => FormatList(items, static (ref writer, in item) =>
        {
            ArgumentException.ThrowIfNullOrEmpty(item.Name, nameof(items)); // a default(RateLimitItem)
            writer.AppendString(item.Name);
            AppendInteger(ref writer, ";r=", item.Remaining);
            if (item.ResetSeconds is { } t)
            {
                AppendInteger(ref writer, ";t=", t);
            }
        });

    /// <summary>Parses a <c>RateLimit-Policy</c> field value; never throws.</summary>
    /// <param name="value">The field value.</param>
    /// <param name="items">The valid policies, in order; empty when parsing failed.</param>
    /// <returns>Whether the value is a valid structured field list.</returns>
    public static bool TryParsePolicy(string? value, out IReadOnlyList<RateLimitPolicyItem> items)
    {
        items = [];
        if (!TryParseItems(value, out var parsed))
        {
            return false;
        }

        var result = new List<RateLimitPolicyItem>(parsed.Count);
        foreach (var item in parsed)
        {
            if (!item.Value.IsNonEmptyStringOrToken
                || !item.Parameters.TryGet("q", out var q) || q.Kind != BareItemKind.Integer || q.Integer < 0)
            {
                continue;
            }

            string? unit = null;
            if (item.Parameters.TryGet("qu", out var qu))
            {
                if (qu.Kind != BareItemKind.String || string.IsNullOrEmpty(qu.Text))
                {
                    continue;
                }

                unit = qu.Text;
            }

            long? window = null;
            if (item.Parameters.TryGet("w", out var w))
            {
                if (w.Kind != BareItemKind.Integer || w.Integer < 1)
                {
                    continue;
                }

                window = w.Integer;
            }

            result.Add(new RateLimitPolicyItem(item.Value.Text!, q.Integer, unit, window));
        }

        items = result;
        return true;
    }

    /// <summary>Parses a <c>RateLimit</c> field value; never throws.</summary>
    /// <param name="value">The field value.</param>
    /// <param name="items">The valid items, in order; empty when parsing failed.</param>
    /// <returns>Whether the value is a valid structured field list.</returns>
    public static bool TryParseRateLimit(string? value, out IReadOnlyList<RateLimitItem> items)
    {
        items = [];
        if (!TryParseItems(value, out var parsed))
        {
            return false;
        }

        var result = new List<RateLimitItem>(parsed.Count);
        foreach (var item in parsed)
        {
            if (!item.Value.IsNonEmptyStringOrToken
                || !item.Parameters.TryGet("r", out var r) || r.Kind != BareItemKind.Integer || r.Integer < 0)
            {
                continue;
            }

            long? reset = null;
            if (item.Parameters.TryGet("t", out var t))
            {
                if (t.Kind != BareItemKind.Integer || t.Integer < 0)
                {
                    continue;
                }

                reset = t.Integer;
            }

            result.Add(new RateLimitItem(item.Value.Text!, r.Integer, reset));
        }

        items = result;
        return true;
    }

    /// <summary>Formats <c>Retry-After</c> as delay-seconds, rounded up so a client never retries too early.</summary>
    /// <param name="delay">The delay; negative counts as zero.</param>
    /// <returns>The field value, for example <c>30</c>.</returns>
    public static string FormatRetryAfter(TimeSpan delay) => Seconds(delay).ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses <c>Retry-After</c> in delay-seconds (digits only; the HTTP-date form returns false); never throws.</summary>
    /// <param name="value">The field value.</param>
    /// <param name="delay">The delay.</param>
    /// <returns>Whether the value is valid delay-seconds.</returns>
    public static bool TryParseRetryAfter(string? value, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        var text = value.AsSpan().Trim(" \t");
        if (text.IsEmpty || text.Length > 11)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        delay = TimeSpan.FromSeconds(long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture));
        return true;
    }

    /// <summary>The <c>RateLimit-Policy</c> members describing <paramref name="policy"/>: one per limit, named after it.</summary>
    /// <param name="policy">The policy.</param>
    /// <returns>Rates and quotas as <c>q</c> per <c>w</c> seconds; concurrency caps as <c>q</c> with <c>qu="concurrent-requests"</c>.</returns>
    public static IReadOnlyList<RateLimitPolicyItem> ForPolicy(BudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var items = new RateLimitPolicyItem[policy.Limits.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var limit = policy.Limits[i];
            items[i] = limit.Kind == BudgetLimitKind.Concurrency
                ? new RateLimitPolicyItem(limit.Name, limit.Limit, "concurrent-requests", null)
                : new RateLimitPolicyItem(limit.Name, limit.Limit, null, Math.Max(1, Seconds(limit.Window)));
        }

        return items;
    }

    /// <summary>The <c>RateLimit</c> members for a decision: per limit, what is left and when it resets (or may be retried, if later).</summary>
    /// <param name="decision">The decision.</param>
    /// <returns>One item per limit, in policy order.</returns>
    public static IReadOnlyList<RateLimitItem> ForDecision(BudgetDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var items = new RateLimitItem[decision.Limits.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var state = decision.Limits[i];
            var reset = state.RetryAfter > state.ResetAfter ? state.RetryAfter : state.ResetAfter;
            items[i] = new RateLimitItem(state.Name, state.Remaining, state.Limit.Kind == BudgetLimitKind.Concurrency && reset == TimeSpan.Zero ? null : Seconds(reset));
        }

        return items;
    }

    private static long Seconds(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            return 0;
        }

        var seconds = (delay.Ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        return Math.Min(seconds, StructuredFieldSyntax.MaxInteger);
    }

    // Both fields are lists of items; an inner list is not rate-limit syntax and fails the whole field.
    private static bool TryParseItems(string? value, out List<ListMember> members)
    {
        members = [];
        if (value is null || !StructuredFieldParser.TryParseList(value, out members))
        {
            return false;
        }

        foreach (var member in members)
        {
            if (member.IsInnerList)
            {
                members = [];
                return false;
            }
        }

        return true;
    }

    // Formatting is on the request path: the text goes to a stack buffer, and an array (what ForPolicy and
    // ForDecision return) is walked without boxing an enumerator.
    private static string FormatList<T>(IEnumerable<T> items, MemberWriter<T> writeMember)
    {
        ArgumentNullException.ThrowIfNull(items);
        var writer = new StructuredFieldWriter(stackalloc char[StackLimit], canGrow: true);
        try
        {
            if (items is T[] array)
            {
                foreach (var item in array)
                {
                    Separate(ref writer);
                    writeMember(ref writer, item);
                }
            }
            else
            {
                foreach (var item in items)
                {
                    Separate(ref writer);
                    writeMember(ref writer, item);
                }
            }

            return writer.ToString();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static void AppendInteger(ref StructuredFieldWriter writer, string prefix, long value)
    {
        writer.AppendRaw(prefix);
        writer.AppendInteger(value);
    }

    private static void Separate(ref StructuredFieldWriter writer)
    {
        if (writer.Length > 0)
        {
            writer.AppendRaw(", ");
        }
    }
}

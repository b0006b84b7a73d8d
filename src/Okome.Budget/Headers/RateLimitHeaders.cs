using System.Globalization;
using System.Text;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;

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

    /// <summary>Formats a <c>RateLimit-Policy</c> field value.</summary>
    /// <param name="items">The policies.</param>
    /// <returns>The field value, for example <c>"burst";q=100;w=60, "daily";q=1000;qu="requests";w=86400</c>.</returns>
    public static string FormatPolicy(IEnumerable<RateLimitPolicyItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var builder = new StringBuilder();
        foreach (var item in items)
        {
            ArgumentException.ThrowIfNullOrEmpty(item.Name, nameof(items));
            Separate(builder);
            StructuredFields.AppendString(builder, item.Name);
            StructuredFields.AppendInteger(builder, "q", item.Quota);
            if (item.QuotaUnit is not null)
            {
                builder.Append(";qu=");
                StructuredFields.AppendString(builder, item.QuotaUnit);
            }

            if (item.WindowSeconds is { } w)
            {
                StructuredFields.AppendInteger(builder, "w", w);
            }
        }

        return builder.ToString();
    }

    /// <summary>Formats a <c>RateLimit</c> field value.</summary>
    /// <param name="items">The remaining quota per policy.</param>
    /// <returns>The field value, for example <c>"daily";r=50;t=30</c>.</returns>
    public static string FormatRateLimit(IEnumerable<RateLimitItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var builder = new StringBuilder();
        foreach (var item in items)
        {
            ArgumentException.ThrowIfNullOrEmpty(item.Name, nameof(items));
            Separate(builder);
            StructuredFields.AppendString(builder, item.Name);
            StructuredFields.AppendInteger(builder, "r", item.Remaining);
            if (item.ResetSeconds is { } t)
            {
                StructuredFields.AppendInteger(builder, "t", t);
            }
        }

        return builder.ToString();
    }

    /// <summary>Parses a <c>RateLimit-Policy</c> field value; never throws.</summary>
    /// <param name="value">The field value.</param>
    /// <param name="items">The valid policies, in order; empty when parsing failed.</param>
    /// <returns>Whether the value is a valid structured field list.</returns>
    public static bool TryParsePolicy(string? value, out IReadOnlyList<RateLimitPolicyItem> items)
    {
        items = [];
        if (!StructuredFields.TryParseList(value, out var parsed))
        {
            return false;
        }

        var result = new List<RateLimitPolicyItem>(parsed.Count);
        foreach (var item in parsed)
        {
            if (NameOf(item) is not { } name
                || !item.Parameters.TryGetValue("q", out var q) || q.Kind != StructuredFields.Kind.Integer || q.Integer < 0)
            {
                continue;
            }

            string? unit = null;
            if (item.Parameters.TryGetValue("qu", out var qu))
            {
                if (qu.Kind != StructuredFields.Kind.String || string.IsNullOrEmpty(qu.Text))
                {
                    continue;
                }

                unit = qu.Text;
            }

            long? window = null;
            if (item.Parameters.TryGetValue("w", out var w))
            {
                if (w.Kind != StructuredFields.Kind.Integer || w.Integer < 1)
                {
                    continue;
                }

                window = w.Integer;
            }

            result.Add(new RateLimitPolicyItem(name, q.Integer, unit, window));
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
        if (!StructuredFields.TryParseList(value, out var parsed))
        {
            return false;
        }

        var result = new List<RateLimitItem>(parsed.Count);
        foreach (var item in parsed)
        {
            if (NameOf(item) is not { } name
                || !item.Parameters.TryGetValue("r", out var r) || r.Kind != StructuredFields.Kind.Integer || r.Integer < 0)
            {
                continue;
            }

            long? reset = null;
            if (item.Parameters.TryGetValue("t", out var t))
            {
                if (t.Kind != StructuredFields.Kind.Integer || t.Integer < 0)
                {
                    continue;
                }

                reset = t.Integer;
            }

            result.Add(new RateLimitItem(name, r.Integer, reset));
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
        return Math.Min(seconds, StructuredFields.MaxInteger);
    }

    private static string? NameOf(StructuredFields.Item item)
        => item.Value.Kind is StructuredFields.Kind.String or StructuredFields.Kind.Token && !string.IsNullOrEmpty(item.Value.Text) ? item.Value.Text : null;

    private static void Separate(StringBuilder builder)
    {
        if (builder.Length > 0)
        {
            builder.Append(", ");
        }
    }
}

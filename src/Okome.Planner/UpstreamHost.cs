namespace Okome.Planner;

/// <summary>
/// One host of an upstream pool (<see cref="UpstreamChoice.Stable"/> or <see cref="UpstreamChoice.Canary"/>): the pool, its
/// position in the pool's configured host list, and its label from configuration (for example <c>gpu-a</c> or
/// <c>10.0.0.7:8000</c>). A pool configured without host labels has one unnamed host, whose <see cref="Name"/> is the pool's
/// name alone, so a one-host set-up reads as before (<c>X-Upstream: stable</c>).
/// </summary>
public readonly struct UpstreamHost : IEquatable<UpstreamHost>
{
    private readonly string? _name;

    /// <summary>Creates a host.</summary>
    /// <param name="pool">The pool it belongs to.</param>
    /// <param name="index">Its position in the pool's host list (0 for the unnamed host).</param>
    /// <param name="label">Its label; null for a pool's one unnamed host.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pool"/> is unknown or <paramref name="index"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="label"/> is empty or not a valid label (<see cref="IsValidLabel"/>).</exception>
    internal UpstreamHost(UpstreamChoice pool, int index, string? label)
    {
        if (!Enum.IsDefined(pool))
        {
            throw new ArgumentOutOfRangeException(nameof(pool), pool, "Unknown upstream pool.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (label is not null && !IsValidLabel(label))
        {
            throw new ArgumentException("A host label is 1 to 100 printable ASCII characters without spaces, '/', '{' or '}'.", nameof(label));
        }

        Pool = pool;
        Index = index;
        Label = label;
        var poolName = pool == UpstreamChoice.Canary ? "canary" : "stable";
        _name = label is null ? poolName : poolName + "/" + label;
    }

    /// <summary>The pool.</summary>
    public UpstreamChoice Pool { get; }

    /// <summary>The position in the pool's host list.</summary>
    public int Index { get; }

    /// <summary>The label from configuration; null for a pool's one unnamed host.</summary>
    internal string? Label { get; }

    /// <summary>
    /// <c>&lt;pool&gt;/&lt;label&gt;</c> (for example <c>stable/gpu-a</c>), or the pool's name for its unnamed host: the value
    /// of <c>X-Upstream</c>, of the health state's field names, and of log lines.
    /// </summary>
    public string Name => _name ?? "stable";

    /// <summary>Compares two hosts.</summary>
    /// <param name="left">One host.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they are the same host.</returns>
    public static bool operator ==(UpstreamHost left, UpstreamHost right) => left.Equals(right);

    /// <summary>Compares two hosts.</summary>
    /// <param name="left">One host.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they are different hosts.</returns>
    public static bool operator !=(UpstreamHost left, UpstreamHost right) => !left.Equals(right);

    /// <summary>
    /// Whether <paramref name="label"/> may label a host: 1 to 100 printable ASCII characters without spaces, <c>/</c>,
    /// <c>{</c> or <c>}</c> (a <c>host:port</c> is fine). Labels are metric tags and parts of Redis field names, so they come
    /// from configuration, never from requests.
    /// </summary>
    /// <param name="label">The label.</param>
    /// <returns>Whether it is valid.</returns>
    internal static bool IsValidLabel(string? label)
        => !string.IsNullOrEmpty(label) && label.Length <= 100 && label.All(static c => c is > ' ' and < (char)0x7F and not '/' and not '{' and not '}');

    /// <inheritdoc />
    public bool Equals(UpstreamHost other) => Pool == other.Pool && Index == other.Index && string.Equals(Label, other.Label, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is UpstreamHost other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Pool, Index, Label);

    /// <summary>The <see cref="Name"/>.</summary>
    /// <returns>The name.</returns>
    public override string ToString() => Name;
}

using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// A chat request's sampling members as <c>CacheKeyBuilder.IsDeterministic</c> reads them (top level, the last of a
/// repeated member): read by <see cref="ChatRequestParser"/> in its one pass (or by <see cref="Read"/> from a legacy
/// completions document), so the body is not parsed again to decide.
/// </summary>
/// <param name="Temperature">The <c>temperature</c>; null when absent or null, infinity when not a number.</param>
/// <param name="HasSeed">Whether a non-null <c>seed</c> was given.</param>
/// <param name="Choices">The <c>n</c>; null when absent or null, infinity when not a number.</param>
internal readonly record struct ChatSampling(double? Temperature, bool HasSeed, double? Choices)
{
    /// <summary>
    /// Whether the answer is reproducible, by the rule of <c>CacheKeyBuilder.IsDeterministic</c>: a seed, or temperature 0
    /// (<paramref name="defaultTemperature"/> when none is given) and at most one choice.
    /// </summary>
    public bool IsDeterministic(double defaultTemperature)
        => HasSeed || ((Temperature ?? defaultTemperature) <= 0 && (Choices ?? 1) <= 1);

    /// <summary>Reads the sampling members of a parsed body's root object (legacy completions); the last of a repeated member counts, as for the reader.</summary>
    public static ChatSampling Read(JsonElement root) => new(
        root.TryGetProperty("temperature", out var temperature) ? Number(temperature) : null,
        root.TryGetProperty("seed", out var seed) && seed.ValueKind != JsonValueKind.Null,
        root.TryGetProperty("n", out var choices) ? Number(choices) : null);

    /// <summary>A sampling number as <c>CacheKeyBuilder.IsDeterministic</c> reads it: null when null, infinity when not a number.</summary>
    private static double? Number(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number when value.TryGetDouble(out var number) => number,
        _ => double.PositiveInfinity,
    };
}

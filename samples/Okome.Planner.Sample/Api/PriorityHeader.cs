using Okome.Planner.Decisions;

namespace Okome.Planner.Sample.Api;

/// <summary>Parses <c>X-OKOME-Priority: background|low|normal|high|critical</c>; anything else is <c>normal</c>. Never throws.</summary>
internal static class PriorityHeader
{
    /// <summary>The header's name.</summary>
    public const string Name = "X-OKOME-Priority";

    public static RequestPriority Parse(string? value)
    {
        var text = value.AsSpan().Trim();
        return text switch
        {
            _ when text.Equals("background", StringComparison.OrdinalIgnoreCase) => RequestPriority.Background,
            _ when text.Equals("low", StringComparison.OrdinalIgnoreCase) => RequestPriority.Low,
            _ when text.Equals("high", StringComparison.OrdinalIgnoreCase) => RequestPriority.High,
            _ when text.Equals("critical", StringComparison.OrdinalIgnoreCase) => RequestPriority.Critical,
            _ => RequestPriority.Normal,
        };
    }
}

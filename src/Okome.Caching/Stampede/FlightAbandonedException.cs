namespace Okome.Caching.Stampede;

/// <summary>A flight ended without an answer for its callers (every caller gave up, or a refresh found another holder); a caller that still wants an answer starts anew.</summary>
internal sealed class FlightAbandonedException() : Exception("The shared upstream call ended without an answer.");

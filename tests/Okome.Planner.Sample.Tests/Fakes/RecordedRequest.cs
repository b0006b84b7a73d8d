namespace Okome.Planner.Sample.Tests.Fakes;

/// <summary>One request the fake upstream received.</summary>
/// <param name="Body">The JSON body as sent.</param>
/// <param name="Authorization">The <c>Authorization</c> header as sent (empty when absent).</param>
public sealed record RecordedRequest(string Body, string Authorization);

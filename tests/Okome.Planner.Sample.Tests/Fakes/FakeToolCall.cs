namespace Okome.Planner.Sample.Tests.Fakes;

/// <summary>A tool call the fake upstream's "model" makes.</summary>
/// <param name="Id">The call id (OpenAI's <c>call_…</c>).</param>
/// <param name="Name">The function name.</param>
/// <param name="Arguments">The function arguments (JSON text), streamed in fragments.</param>
public sealed record FakeToolCall(string Id, string Name, string Arguments);

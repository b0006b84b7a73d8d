namespace Okome.Planner.Sample.Api;

/// <summary>The prompt and completion tokens of an answer's <c>usage</c> object; 0 when the answer carried none.</summary>
internal readonly record struct ChatUsage(long PromptTokens, long CompletionTokens);

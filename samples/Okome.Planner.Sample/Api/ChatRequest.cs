namespace Okome.Planner.Sample.Api;

/// <summary>What the service needs to know about a valid chat completion (or legacy text completion) request.</summary>
/// <param name="Model">The <c>model</c>.</param>
/// <param name="Stream">Whether the client asked for <c>"stream": true</c>.</param>
/// <param name="MaxTokens">The <c>max_completion_tokens</c> or <c>max_tokens</c>, or null.</param>
/// <param name="PromptChars">The characters of every message's text content, or of the legacy prompt (for the rough cost estimate).</param>
/// <param name="User">The <c>user</c> field, or null.</param>
internal sealed record ChatRequest(string Model, bool Stream, long? MaxTokens, long PromptChars, string? User)
{
    /// <summary>The endpoint the request came to: chat, or legacy text completions.</summary>
    public CompletionsEndpoint Endpoint { get; init; } = CompletionsEndpoint.Chat;

    /// <summary>The sampling members, for whether the answer is reproducible (read by the parser, so the body needs no other pass).</summary>
    public ChatSampling Sampling { get; init; }

    /// <summary>The cost reserved up front: a rough prompt token count (characters / 4) plus the tokens it may generate.</summary>
    public long EstimatedCost(int defaultMaxTokens) => ((PromptChars + 3) / 4) + (MaxTokens ?? defaultMaxTokens);
}

using System.Buffers;
using System.Text.Json;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Planner.Canary;
using Okome.Planner.Execution;
using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// The one upstream call of an embeddings request: every input whose cache lookup elected this request to call the upstream
/// (its <see cref="UpstreamFactory"/> ran) joins the batch; <see cref="RunAsync"/> then asks the upstream for them all, in
/// order, through the <see cref="PlanExecutor"/> (budget reserved for these inputs only and settled with the upstream's
/// usage, health, canary, next-upstream, GPU slots), and hands each waiting factory its input's answer to store. See
/// Api/embeddings.md.
/// </summary>
internal sealed class EmbeddingsBatch
{
    private static readonly KeyValuePair<string, string>[] JsonHeaders = [new("Content-Type", "application/json")];
    private static readonly CacheControl NoStore = CacheControl.Parse("no-store");

    private readonly EmbeddingsRequest _request;
    private readonly ChatClientFacts _client;
    private readonly PlanExecutor _executor;
    private readonly CacheKeyBuilder _keys;
    private readonly UpstreamRouter _upstreams;
    private readonly AccessFeature? _access;
    private readonly List<(int Input, TaskCompletionSource<UpstreamResponse> Answer)> _members = [];
    private bool _started;

    /// <param name="request">The embeddings request.</param>
    /// <param name="client">Who asks.</param>
    /// <param name="executor">Carries the call out.</param>
    /// <param name="keys">Builds the batch's key.</param>
    /// <param name="upstreams">The upstream pools.</param>
    /// <param name="access">The request's access line facts: the batch's call records its pool, host, tries and status there; null for a background refresh, which outlives the request.</param>
    public EmbeddingsBatch(EmbeddingsRequest request, in ChatClientFacts client, PlanExecutor executor, CacheKeyBuilder keys, UpstreamRouter upstreams, AccessFeature? access)
    {
        _request = request;
        _client = client;
        _executor = executor;
        _keys = keys;
        _upstreams = upstreams;
        _access = access;
    }

    /// <summary>The inputs that joined, in the order they joined.</summary>
    public int Count
    {
        get
        {
            lock (_members)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>The key of the batch's own (never stored) upstream call, for the access line; empty before <see cref="RunAsync"/>.</summary>
    public CacheKey Key { get; private set; }

    /// <summary>The executor's <c>X-Upstream</c> of the batch's call (<c>stable/host</c>, or <c>cache</c> when it joined an identical batch in flight); null before <see cref="RunAsync"/> or when it had none.</summary>
    public string? Upstream { get; private set; }

    /// <summary>
    /// The factory of input <paramref name="input"/>: while the batch has not started, it joins the batch and waits for the
    /// batch's answer; a later call (a background refresh of a stale entry) asks the upstream for that input alone.
    /// </summary>
    /// <param name="input">The index into <see cref="EmbeddingsRequest.Inputs"/>.</param>
    /// <param name="joined">Completed when the input joined the batch (the request then goes on to its next input).</param>
    public UpstreamFactory FactoryFor(int input, TaskCompletionSource joined)
        => (call, cancellationToken) =>
        {
            var answer = new TaskCompletionSource<UpstreamResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_members)
            {
                if (!_started && !call.IsBackgroundRefresh)
                {
                    _members.Add((input, answer));
                    joined.TrySetResult();
                    return new ValueTask<UpstreamResponse>(answer.Task.WaitAsync(cancellationToken));
                }
            }

            return AloneAsync(input, answer, cancellationToken);
        };

    /// <summary>
    /// Calls the upstream for every input that joined and completes their factories. Returns null when it succeeded (every
    /// factory got its input's answer), otherwise the executor's response to pass on to the client (a refusal, an upstream
    /// error): the caller writes and disposes it.
    /// </summary>
    public async Task<PlannedResponse?> RunAsync(CancellationToken cancellationToken)
    {
        (int Input, TaskCompletionSource<UpstreamResponse> Answer)[] members;
        lock (_members)
        {
            _started = true;
            members = [.. _members.OrderBy(static member => member.Input)]; // the request's order, not the lease order
        }

        var inputs = members.Select(static member => member.Input).ToArray();
        var body = _request.UpstreamBody(inputs);
        var estimate = 0L;
        foreach (var input in inputs)
        {
            estimate += (_request.Weight(input) + 3) / 4;
        }

        Key = _keys.Build(new CacheKeyRequest(EmbeddingsHandler.CacheNamespace, 0, HttpMethods.Post, EmbeddingsHandler.Route, body)
        {
            Model = _request.Model,
            Tenant = _client.Partition,
        });

        // The batch itself is never stored (no-store): each input is, by its own factory.
        var planned = new PlannedRequest(new CacheRequest(Key) { CacheControl = NoStore, IsDeterministic = true })
        {
            PartitionKey = _client.Partition,
            BudgetPolicy = _client.BudgetPolicy,
            EstimatedCost = Math.Max(1, estimate),
            Priority = _client.Priority,
            RequestId = _client.RequestId,
            Canary = new CanaryRequest
            {
                Tenant = _client.Partition,
                User = _request.User,
                RequestId = _client.RequestId,
                OverrideHeader = _client.CanaryOverride,
            },
        };

        PlannedResponse? response = null;
        try
        {
            response = await _executor.ExecuteAsync(planned, _upstreams.For(UpstreamPaths.Embeddings, body), cancellationToken).ConfigureAwait(false);

            // The request's access line names who answered the inputs it fetched (as a chat request's does), whatever came back.
            _access?.Answered(response);
            foreach (var (name, value) in response.Headers)
            {
                if (string.Equals(name, "X-Upstream", StringComparison.OrdinalIgnoreCase))
                {
                    Upstream = value;
                }
            }
            if (response.IsGenerated || response.StatusCode != StatusCodes.Status200OK)
            {
                Fail(members, StatusCodes.Status502BadGateway);
                return response;
            }

            var answer = new ArrayBufferWriter<byte>(4096);
            await foreach (var chunk in response.Body.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                answer.Write(chunk.Span);
            }

            if (!EmbeddingsAnswer.TrySplit(answer.WrittenSpan, inputs.Length, out var embeddings, out var totalTokens))
            {
                // A 200 that is not an embeddings list for these inputs: each waiting input gets the 502.
                Fail(members, StatusCodes.Status502BadGateway);
                await response.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            var tokens = Share(totalTokens, inputs.Select(_request.Weight).ToArray());
            for (var i = 0; i < members.Length; i++)
            {
                members[i].Answer.TrySetResult(UpstreamResponse.FromBody(200, JsonHeaders, EmbeddingsAnswer.Item(embeddings[i], tokens[i])));
            }

            await response.DisposeAsync().ConfigureAwait(false); // settles the budget with the usage read
            return null;
        }
        catch (Exception ex)
        {
            foreach (var member in members)
            {
                member.Answer.TrySetException(ex);
            }

            if (response is not null)
            {
                await response.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Shares a batch's token count among its inputs by weight (largest remainder), so the shares add up to exactly what the
    /// upstream reported and each stored input keeps its part for later answers' usage.
    /// </summary>
    internal static long[] Share(long total, long[] weights)
    {
        var shares = new long[weights.Length];
        var sum = weights.Sum();
        if (sum <= 0 || total <= 0)
        {
            return shares;
        }

        var given = 0L;
        var remainders = new (double Remainder, int Index)[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            var exact = (double)total * weights[i] / sum;
            shares[i] = (long)Math.Floor(exact);
            given += shares[i];
            remainders[i] = (exact - shares[i], i);
        }

        foreach (var (_, index) in remainders.OrderByDescending(static r => r.Remainder).ThenBy(static r => r.Index).Take((int)(total - given)))
        {
            shares[index]++;
        }

        return shares;
    }

    private static void Fail((int Input, TaskCompletionSource<UpstreamResponse> Answer)[] members, int status)
    {
        // Not stored (not 2xx); a waiter elsewhere takes the lease over and asks again.
        var body = OpenAIErrors.Body("The upstream did not answer the embeddings batch.", "upstream_error", null, null);
        foreach (var member in members)
        {
            member.Answer.TrySetResult(UpstreamResponse.FromBody(status, JsonHeaders, body));
        }
    }

    private async ValueTask<UpstreamResponse> AloneAsync(int input, TaskCompletionSource<UpstreamResponse> answer, CancellationToken cancellationToken)
    {
        var alone = new EmbeddingsBatch(_request, _client, _executor, _keys, _upstreams, access: null);
        alone._members.Add((input, answer));
        var refused = await alone.RunAsync(cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            await refused.DisposeAsync().ConfigureAwait(false);
        }

        return await answer.Task.ConfigureAwait(false);
    }
}

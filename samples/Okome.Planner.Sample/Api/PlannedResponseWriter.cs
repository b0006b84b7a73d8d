using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Okome.Planner.Decisions;
using Okome.Planner.Execution;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Writes a <see cref="PlannedResponse"/> to the client: every header, then the body — forwarded to a <c>"stream": true</c>
/// client through the response's pipe, flushed whenever the next chunk is not ready yet (a replay in one flush, a live
/// stream chunk by chunk: never held back while waiting), or assembled into one <c>chat.completion</c> JSON for the
/// others. A response the executor generated (429, 502, 503, 504, also for an upstream's own 5xx: the executor decides
/// every status) gets an OpenAI error body.
/// </summary>
internal static partial class PlannedResponseWriter
{
    // The body is re-framed here, so the framing headers of the stored/upstream response do not apply.
    private static readonly HashSet<string> SkippedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Content-Encoding",
    };

    /// <summary>Bytes written into the response's pipe between two flushes at most.</summary>
    internal const int BatchBytes = 64 * 1024;

    public static async Task WriteAsync(HttpContext context, PlannedResponse planned, ChatRequest chat, ILogger logger, CancellationToken cancellationToken)
    {
        var response = context.Response;
        var access = context.Features.Get<AccessFeature>();
        access?.Answered(planned);
        string? contentType = null;
        foreach (var (name, value) in planned.Headers)
        {
            if (SkippedHeaders.Contains(name))
            {
                contentType ??= string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase) ? value : null;
                continue;
            }

            response.Headers.Append(name, value);
        }

        if (planned.IsGenerated)
        {
            await WriteGeneratedAsync(context, planned).ConfigureAwait(false);
            return;
        }

        var isEventStream = planned.StatusCode == StatusCodes.Status200OK
            && contentType is not null && contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
        if (!isEventStream)
        {
            // An upstream error (passed through as it is) or an upstream that answered with plain JSON.
            response.StatusCode = planned.StatusCode;
            response.ContentType = contentType ?? "application/json";
            await CopyAsync(planned.Body, response.BodyWriter, null, false, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The usage is read for the access line only: with no line to write, no reader.
        var usage = access is null ? null : new ChatUsageReader();
        try
        {
            if (chat.Stream)
            {
                await StreamAsync(context, planned, usage, access?.IsReplay == true, logger, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AssembleAsync(context, planned, chat, usage, logger, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Also when the client went away mid-stream: the line shows the usage of what was read so far.
            if (usage is not null)
            {
                access!.Usage = usage.Usage;
            }
        }
    }

    /// <summary>
    /// Copies a body into the response's pipe with one flush per batch: the chunks that are ready (a replay's are all
    /// ready) are written into Kestrel's buffer without a copy of ours, and flushed before waiting for the next one (a live
    /// stream still reaches the client chunk by chunk) or after <see cref="BatchBytes"/>, so a client that reads slowly
    /// holds the copy back.
    /// </summary>
    /// <param name="body">The body.</param>
    /// <param name="writer">The response's pipe.</param>
    /// <param name="usage">Reads the chunks, or null.</param>
    /// <param name="replay">Whether the body is a stored one: <paramref name="usage"/> reads only its last chunks, once it is all sent.</param>
    /// <param name="cancellationToken">Stops the copy.</param>
    private static async Task CopyAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> body, PipeWriter writer, ChatUsageReader? usage, bool replay, CancellationToken cancellationToken)
    {
        var tail = default(ChunkTail);
        var live = replay ? null : usage;
        var chunks = body.GetAsyncEnumerator(cancellationToken);
        await using (chunks.ConfigureAwait(false))
        {
            var unflushed = 0L;
            while (true)
            {
                var next = chunks.MoveNextAsync();
                if (!next.IsCompleted && unflushed > 0)
                {
                    unflushed = 0;
                    if (!await FlushAsync(writer, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }

                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                var chunk = chunks.Current;
                writer.Write(chunk.Span);
                live?.Observe(chunk.Span);
                if (replay)
                {
                    tail.Add(chunk);
                }
                unflushed += chunk.Length;
                if (unflushed >= BatchBytes)
                {
                    unflushed = 0;
                    if (!await FlushAsync(writer, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }

            if (unflushed > 0)
            {
                await FlushAsync(writer, cancellationToken).ConfigureAwait(false);
            }
        }

        if (replay && usage is not null)
        {
            tail.ObserveInto(usage);
        }
    }

    /// <summary>Flushes; false when the client is gone (the pipe's reader completed), so there is no point in writing more.</summary>
    private static async ValueTask<bool> FlushAsync(PipeWriter writer, CancellationToken cancellationToken)
    {
        var result = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return !result.IsCompleted && !result.IsCanceled;
    }

    private static async Task StreamAsync(HttpContext context, PlannedResponse planned, ChatUsageReader? usage, bool replay, ILogger logger, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers["X-Accel-Buffering"] = "no"; // tells an nginx in front not to buffer either
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken).ConfigureAwait(false);

        if (planned.TryGetStoredBody(out var stored))
        {
            // A replay whose body is one block: one write into Kestrel's pipe and one flush, no enumerator and no write
            // per chunk (the SSE framing is in the bytes). Its usage is its last usage event, read from
            // the end once per stored body and remembered.
            response.BodyWriter.Write(stored.Span);
            usage?.ObserveStored(stored);
            await FlushAsync(response.BodyWriter, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A replay's usage is its last event: read only the stored last chunks (they stay valid until the response is
        // disposed). A live stream's chunks are read as they pass, since the client may go away before the end.
        try
        {
            await CopyAsync(planned.Body, response.BodyWriter, usage, replay, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // The status is out already: cut the connection so the client sees an incomplete stream, not a clean end.
            LogStreamFailed(logger, ex.GetType().Name);
            context.Abort();
        }
    }

    private static async Task AssembleAsync(HttpContext context, PlannedResponse planned, ChatRequest chat, ChatUsageReader? usage, ILogger logger, CancellationToken cancellationToken)
    {
        var events = new ArrayBufferWriter<byte>(4096);
        try
        {
            await foreach (var chunk in planned.Body.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                events.Write(chunk.Span);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            LogStreamFailed(logger, ex.GetType().Name);
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status502BadGateway, "The upstream failed while generating the response.", "upstream_error", null, null)
                .ConfigureAwait(false);
            return;
        }

        usage?.Observe(events.WrittenSpan);
        if (!ChatCompletionAssembler.TryAssemble(events.WrittenSpan, (chat.PromptChars + 3) / 4, out var completion, out var error))
        {
            LogStreamFailed(logger, error);
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status502BadGateway, "The upstream sent a response that is not a chat completion stream.", "upstream_error", null, null)
                .ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = completion.Length;
        await response.BodyWriter.WriteAsync(completion, cancellationToken).ConfigureAwait(false);
    }

    private static Task WriteGeneratedAsync(HttpContext context, PlannedResponse planned)
    {
        var plan = planned.Plan;
        var retry = plan.RetryAfter > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $" Retry after {Math.Ceiling(plan.RetryAfter.TotalSeconds)} s.")
            : "";
        var (message, type) = planned.StatusCode switch
        {
            429 => ($"Rate limit reached: the '{plan.DeniedBy ?? "budget"}' limit of your budget denied the request.{retry}", "rate_limit_exceeded"),
            503 => (plan.Reason switch
            {
                RefusalReason.Maintenance => $"The service is in maintenance and no cached answer may be served.{retry}",
                RefusalReason.Shed => $"The GPU is saturated; requests of this priority are shed.{retry}",
                RefusalReason.Down => $"The upstream is down and no cached answer may be served.{retry}",
                _ => $"The upstream is unavailable and no cached answer may be served.{retry}",
            }, "service_unavailable"),
            502 => ($"The upstream failed and no cached answer may be served.{retry}", "upstream_error"),
            504 => ("The answer is not in the cache (only-if-cached) or the upstream did not answer in time.", "gateway_timeout"),
            _ => ("The request could not be served.", "server_error"),
        };
        return OpenAIErrors.WriteAsync(context, planned.StatusCode, message, type, null, type);
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "The upstream response failed while it was sent ({Error}).")]
    private static partial void LogStreamFailed(ILogger logger, string error);
}

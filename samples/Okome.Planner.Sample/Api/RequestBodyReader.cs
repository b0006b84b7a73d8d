using Microsoft.AspNetCore.Http.Features;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Reads a request body into an owned array, refusing it (413) when it is larger than the limit: by its Content-Length
/// before reading, and by counting while reading (a chunked body has none). The server's own limit is lifted for the
/// request so that this one, configurable, applies.
/// </summary>
internal static class RequestBodyReader
{
    private const int InitialBuffer = 16 * 1024;

    /// <summary>
    /// The JSON body of an API request, or null once the error is written: 415 when the Content-Type is not JSON, 413 when
    /// too large, 400 for a malformed transfer.
    /// </summary>
    public static async ValueTask<byte[]?> ReadJsonAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        if (!ChatCompletionsHandler.IsJson(context.Request.ContentType))
        {
            await OpenAIErrors.WriteAsync(context, new RequestError(
                StatusCodes.Status415UnsupportedMediaType, "The request body must be JSON (Content-Type: application/json).", null, "unsupported_media_type")).ConfigureAwait(false);
            return null;
        }

        var (body, readError) = await ReadAsync(context, limit, cancellationToken).ConfigureAwait(false);
        if (readError is not null || body is null)
        {
            await OpenAIErrors.WriteAsync(context, readError!).ConfigureAwait(false);
            return null;
        }

        return body;
    }

    /// <summary>The body, or an error (413 too large, 400 for a malformed transfer).</summary>
    public static async ValueTask<(byte[]? Body, RequestError? Error)> ReadAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (request.ContentLength is { } declared && declared > limit)
        {
            return (null, TooLarge(limit));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var capacity = (int)Math.Min(request.ContentLength ?? InitialBuffer, limit + 1);
        var buffer = new byte[Math.Max(capacity, 1)];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length == request.ContentLength)
                    {
                        // The whole declared body is in (the server reads no further): no bigger copy, then a smaller one.
                        break;
                    }

                    if (length > limit)
                    {
                        return (null, TooLarge(limit));
                    }

                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, limit + 1));
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    return (null, TooLarge(limit));
                }
            }
        }
        catch (BadHttpRequestException ex)
        {
            return (null, new RequestError(ex.StatusCode, "The request body could not be read.", null, null));
        }

        Array.Resize(ref buffer, length);
        return (buffer, null);
    }

    private static RequestError TooLarge(long limit)
        => new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {limit} bytes.", null, "request_too_large");
}

using System.Globalization;
using System.Net.Http.Headers;
using Okome.Tool.Output;

namespace Okome.Tool.Connectivity;

/// <summary>
/// <c>GET {base}/models</c> on every configured upstream, as the service's health probe does (same timeout, same bearer key):
/// a 2xx passes. URLs are printed without user info, since they may carry credentials.
/// </summary>
internal static class UpstreamChecks
{
    public static async Task RunAsync(IReadOnlyList<(string Key, string Url)> upstreams, string? apiKey, TimeSpan timeout, CheckReport report, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (key, url) in upstreams)
        {
            if (!Uri.TryCreate(url.TrimEnd('/') + "/models", UriKind.Absolute, out var models)
                || (models.Scheme != Uri.UriSchemeHttp && models.Scheme != Uri.UriSchemeHttps))
            {
                report.Fail($"upstream {key}: not an absolute http or https URL", key);
                continue;
            }

            var shown = models.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
            using var request = new HttpRequestMessage(HttpMethod.Get, models);
            if (apiKey is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
                var status = string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {response.ReasonPhrase}");
                if (response.IsSuccessStatusCode)
                {
                    report.Pass($"upstream {key}: GET {shown} {status}");
                }
                else
                {
                    report.Fail($"upstream {key}: GET {shown} answered {status}", key);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                report.Fail(string.Create(CultureInfo.InvariantCulture, $"upstream {key}: GET {shown} gave no answer within {timeout.TotalSeconds:0.#} s"), key);
            }
            catch (HttpRequestException ex)
            {
                report.Fail($"upstream {key}: GET {shown} failed: {ex.Message}", key);
            }
        }
    }
}

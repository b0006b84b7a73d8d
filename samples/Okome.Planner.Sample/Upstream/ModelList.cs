namespace Okome.Planner.Sample.Upstream;

/// <summary>An upstream's answer to <c>GET /models</c>: its status, content type and body, passed on as they are.</summary>
internal sealed record ModelList(int StatusCode, string ContentType, byte[] Body);

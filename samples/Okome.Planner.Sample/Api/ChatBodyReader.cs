using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>Validates the root of a parsed generation body (chat or legacy completion) into a <see cref="ChatRequest"/>; never throws.</summary>
internal delegate bool ChatBodyReader(JsonElement root, out ChatRequest request, out RequestError error);

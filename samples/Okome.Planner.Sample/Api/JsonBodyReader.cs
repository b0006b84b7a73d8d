using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>Validates the root of a parsed request body (chat, legacy completion, embeddings) into what the service needs; never throws.</summary>
/// <typeparam name="T">What the body is read into.</typeparam>
internal delegate bool JsonBodyReader<T>(JsonElement root, out T request, out RequestError error);

using System.Buffers;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>What the service needs to know about a valid embeddings request.</summary>
/// <param name="Model">The <c>model</c>.</param>
/// <param name="Inputs">Each input as the client wrote it (raw JSON: a string or an array of token ids), in order.</param>
/// <param name="EncodingFormat"><c>float</c> (the default) or <c>base64</c>.</param>
/// <param name="Dimensions">The <c>dimensions</c>, or null.</param>
/// <param name="User">The <c>user</c> field, or null.</param>
internal sealed record EmbeddingsRequest(string Model, IReadOnlyList<byte[]> Inputs, string EncodingFormat, int? Dimensions, string? User)
{
    /// <summary>
    /// The body that names one input's answer, for its cache key: everything that changes the vector (model, input,
    /// encoding format, dimensions) and nothing else, so an input is found whichever batch it came in.
    /// </summary>
    public byte[] KeyBody(int input) => Body(Inputs[input], null, includeUser: false);

    /// <summary>The upstream body asking for <paramref name="inputs"/> (indexes into <see cref="Inputs"/>) in one call.</summary>
    public byte[] UpstreamBody(IReadOnlyList<int> inputs) => Body(null, inputs, includeUser: true);

    /// <summary>An input's weight for sharing a batch's token count: its token ids, or its bytes of JSON text.</summary>
    public long Weight(int input)
    {
        var raw = Inputs[input];
        return raw.Length > 0 && raw[0] == (byte)'[' ? raw.AsSpan().Count((byte)',') + 1 : raw.Length;
    }

    private byte[] Body(byte[]? single, IReadOnlyList<int>? many, bool includeUser)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, Model);
            if (single is not null)
            {
                writer.WritePropertyName("input"u8);
                writer.WriteRawValue(single, skipInputValidation: true);
            }
            else
            {
                writer.WriteStartArray("input"u8);
                foreach (var index in many!)
                {
                    writer.WriteRawValue(Inputs[index], skipInputValidation: true);
                }

                writer.WriteEndArray();
            }

            writer.WriteString("encoding_format"u8, EncodingFormat);
            if (Dimensions is { } dimensions)
            {
                writer.WriteNumber("dimensions"u8, dimensions);
            }

            if (includeUser && User is not null)
            {
                writer.WriteString("user"u8, User);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

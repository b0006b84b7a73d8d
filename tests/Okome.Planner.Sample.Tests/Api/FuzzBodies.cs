using System.Text;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>Random and mutated chat completion bodies for the no-500 fuzz test.</summary>
internal static class FuzzBodies
{
    private static readonly string[] Valid =
    [
        "{\"model\":\"okome-fake-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0}",
        "{\"model\":\"okome-fake-1\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,\"seed\":7}",
        "{\"model\":\"okome-fake-1\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],\"max_tokens\":4,\"stream_options\":{\"include_usage\":true}}",
    ];

    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1e308", "-1e400", "18446744073709551616", "\"\"", "\"x\"", "[]", "{}", "[null]",
        "[{}]", "[{\"role\":null}]", "\"\\ud800\"", "\"\\u0000\"", "1.5", "\"okome-fake-1\"", "{\"a\":{\"b\":{\"c\":[[[[]]]]}}}",
    ];

    private const string InsertChars = "{}[]\":,\\0-eE.\u00e9\ud83d\ude00";

    private static readonly string[] Fields = ["model", "messages", "temperature", "seed", "stream", "max_tokens", "stream_options", "n", "user", "tools"];

    /// <summary>One body: random bytes, a mutated valid body, or a valid shape with random member values.</summary>
    public static string Next(Random random) => random.Next(4) switch
    {
        0 => RandomText(random),
        1 => Mutate(random, Valid[random.Next(Valid.Length)]),
        2 => RandomMembers(random),
        _ => Mutate(random, Mutate(random, Valid[random.Next(Valid.Length)])),
    };

    private static string RandomText(Random random)
    {
        var length = random.Next(0, 64);
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            builder.Append(random.Next(3) == 0 ? InsertChars[random.Next(InsertChars.Length)] : (char)random.Next(1, 0x2FF));
        }

        return builder.ToString();
    }

    private static string Mutate(Random random, string body)
    {
        if (body.Length == 0)
        {
            return Values[random.Next(Values.Length)];
        }

        var builder = new StringBuilder(body);
        var position = random.Next(builder.Length);
        switch (random.Next(4))
        {
            case 0:
                builder.Remove(position, Math.Min(builder.Length - position, random.Next(1, 6)));
                break;
            case 1:
                builder.Insert(position, InsertChars[random.Next(InsertChars.Length)]);
                break;
            case 2:
                builder[position] = (char)random.Next(0x20, 0x7F);
                break;
            default:
                builder.Insert(position, Values[random.Next(Values.Length)]);
                break;
        }

        return builder.ToString();
    }

    private static string RandomMembers(Random random)
    {
        var members = Fields
            .Where(_ => random.Next(3) != 0)
            .Select(field => $"\"{field}\":{(random.Next(3) == 0 ? Values[random.Next(Values.Length)] : Default(field))}");
        return "{" + string.Join(",", members) + "}";
    }

    private static string Default(string field) => field switch
    {
        "model" => "\"okome-fake-1\"",
        "messages" => "[{\"role\":\"user\",\"content\":\"fuzz\"}]",
        "temperature" => "0",
        "stream" => "false",
        _ => "null",
    };
}

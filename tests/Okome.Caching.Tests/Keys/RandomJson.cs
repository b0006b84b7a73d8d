using System.Globalization;
using System.Text;

namespace Okome.Caching.Tests.Keys;

/// <summary>Random JSON documents for property tests of canonical keys.</summary>
internal static class RandomJson
{
    public static Dictionary<string, object?> Object(Random random, int depth)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        var count = random.Next(depth == 0 ? 1 : 0, 6);
        for (var i = 0; i < count; i++)
        {
            result[Name(random)] = Value(random, depth + 1);
        }

        return result;
    }

    public static string Write(object? value, Random random, bool shuffle, bool whitespace)
    {
        var builder = new StringBuilder();
        WriteValue(builder, value, random, shuffle, whitespace);
        return builder.ToString();
    }

    public static bool MutateOneLeaf(Dictionary<string, object?> document, Random random)
    {
        if (document.Count == 0)
        {
            return false;
        }

        var key = document.Keys.ElementAt(random.Next(document.Count));
        switch (document[key])
        {
            case Dictionary<string, object?> nested when nested.Count > 0:
                return MutateOneLeaf(nested, random);
            case long number:
                document[key] = number + 1;
                return true;
            case string text:
                document[key] = text + "x";
                return true;
            case bool flag:
                document[key] = !flag;
                return true;
            default:
                document[key] = "changed";
                return true;
        }
    }

    private static object? Value(Random random, int depth) => random.Next(depth > 3 ? 5 : 7) switch
    {
        0 => (long)random.Next(-1000, 1000),
        1 => Name(random) + " " + Name(random),
        2 => random.Next(2) == 0,
        3 => null,
        4 => random.Next(100) / 4.0,
        5 => Object(random, depth),
        _ => Enumerable.Range(0, random.Next(4)).Select(_ => Value(random, depth + 1)).ToList(),
    };

    private static string Name(Random random)
    {
        const string letters = "abcdefgxyz_é\"\\";
        var length = random.Next(1, 6);
        return string.Create(length, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = letters[r.Next(letters.Length)];
            }
        });
    }

    private static void WriteValue(StringBuilder builder, object? value, Random random, bool shuffle, bool whitespace)
    {
        Space(builder, random, whitespace);
        switch (value)
        {
            case null:
                builder.Append("null");
                break;
            case bool flag:
                builder.Append(flag ? "true" : "false");
                break;
            case long number:
                // Same number, different spellings.
                builder.Append(whitespace && random.Next(3) == 0 ? number.ToString(CultureInfo.InvariantCulture) + ".0" : number.ToString(CultureInfo.InvariantCulture));
                break;
            case double real:
                builder.Append(whitespace && random.Next(2) == 0 ? (real * 10).ToString("R", CultureInfo.InvariantCulture) + "e-1" : real.ToString("R", CultureInfo.InvariantCulture));
                break;
            case string text:
                WriteString(builder, text, random, whitespace);
                break;
            case Dictionary<string, object?> members:
                builder.Append('{');
                var pairs = members.ToList();
                if (shuffle)
                {
                    pairs = [.. pairs.OrderBy(_ => random.Next())];
                }

                for (var i = 0; i < pairs.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    Space(builder, random, whitespace);
                    WriteString(builder, pairs[i].Key, random, whitespace);
                    Space(builder, random, whitespace);
                    builder.Append(':');
                    WriteValue(builder, pairs[i].Value, random, shuffle, whitespace);
                }

                Space(builder, random, whitespace);
                builder.Append('}');
                break;
            case List<object?> items:
                builder.Append('[');
                for (var i = 0; i < items.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    WriteValue(builder, items[i], random, shuffle, whitespace);
                }

                Space(builder, random, whitespace);
                builder.Append(']');
                break;
            default:
                throw new InvalidOperationException();
        }

        Space(builder, random, whitespace);
    }

    private static void WriteString(StringBuilder builder, string text, Random random, bool escapeRandomly)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\').Append(c);
            }
            else if (escapeRandomly && random.Next(4) == 0)
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('"');
    }

    private static void Space(StringBuilder builder, Random random, bool whitespace)
    {
        if (whitespace)
        {
            builder.Append(' ', random.Next(3)).Append(random.Next(4) == 0 ? "\n\t" : string.Empty);
        }
    }
}

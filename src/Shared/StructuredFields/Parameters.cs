namespace Okome.Shared.StructuredFields;

/// <summary>
/// The parameters of an item or inner list, in the order their keys first appeared. A repeated key holds its last
/// value (RFC 8941 section 4.2.3.2 overwrites in place), so walking them applies "last one wins" already.
/// </summary>
internal readonly struct Parameters
{
    private readonly Parameter[]? _items;

    public Parameters(Parameter[] items) => _items = items;

    public int Count => _items?.Length ?? 0;

    public ReadOnlySpan<Parameter> AsSpan() => _items;

    public bool TryGet(string key, out BareItem value)
    {
        foreach (var parameter in AsSpan())
        {
            if (parameter.Key == key)
            {
                value = parameter.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}

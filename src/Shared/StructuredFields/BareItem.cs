namespace Okome.Shared.StructuredFields;

/// <summary>A parsed bare item: its kind and the one value that kind carries.</summary>
/// <remarks>
/// Kept small (a kind, a long and a reference) because parameters are arrays of these: a Decimal is held as
/// thousandths in the long (RFC 8941 decimals have at most 12 integer and 3 fraction digits, so it always fits).
/// </remarks>
internal readonly struct BareItem
{
    /// <summary>The <c>?1</c> of a parameter written without a value.</summary>
    public static readonly BareItem True = FromBoolean(true);

    private readonly long _number;
    private readonly object? _reference;

    private BareItem(BareItemKind kind, long number, object? reference)
    {
        Kind = kind;
        _number = number;
        _reference = reference;
    }

    public BareItemKind Kind { get; }

    /// <summary>The value of an Integer, the seconds of a Date; 0 for other kinds.</summary>
    public long Integer => Kind is BareItemKind.Integer or BareItemKind.Date ? _number : 0;

    /// <summary>The value of a Decimal; 0 for other kinds.</summary>
    public decimal Decimal => Kind == BareItemKind.Decimal ? _number / 1000m : 0;

    /// <summary>The value of a String, Token or Display String; <see langword="null"/> for other kinds.</summary>
    public string? Text => _reference as string;

    /// <summary>The decoded value of a Byte Sequence; <see langword="null"/> for other kinds.</summary>
    public byte[]? Bytes => _reference as byte[];

    public bool Boolean => Kind == BareItemKind.Boolean && _number != 0;

    /// <summary>Whether this is a String or Token whose text is not empty (the usual shape of a name).</summary>
    public bool IsNonEmptyStringOrToken => Kind is BareItemKind.String or BareItemKind.Token && Text!.Length > 0;

    public static BareItem FromInteger(long value) => new(BareItemKind.Integer, value, null);

    /// <summary>A Decimal of at most three fraction digits (more are rounded away).</summary>
    public static BareItem FromDecimal(decimal value) => new(BareItemKind.Decimal, (long)decimal.Round(value * 1000m), null);

    public static BareItem FromString(string value) => new(BareItemKind.String, 0, value);

    public static BareItem FromToken(string value) => new(BareItemKind.Token, 0, value);

    public static BareItem FromBytes(byte[] value) => new(BareItemKind.ByteSequence, 0, value);

    public static BareItem FromBoolean(bool value) => new(BareItemKind.Boolean, value ? 1 : 0, null);

    public static BareItem FromDate(long seconds) => new(BareItemKind.Date, seconds, null);

    public static BareItem FromDisplayString(string value) => new(BareItemKind.DisplayString, 0, value);
}

namespace Okome.Shared.StructuredFields;

/// <summary>A parsed bare item: its kind and the one value that kind carries (the others are default).</summary>
internal readonly struct BareItem
{
    /// <summary>The <c>?1</c> of a parameter written without a value.</summary>
    public static readonly BareItem True = FromBoolean(true);

    private BareItem(BareItemKind kind, long integer, decimal @decimal, string? text, byte[]? bytes)
    {
        Kind = kind;
        Integer = integer;
        Decimal = @decimal;
        Text = text;
        Bytes = bytes;
    }

    public BareItemKind Kind { get; }

    /// <summary>The value of an Integer, the seconds of a Date, 1 or 0 for a Boolean.</summary>
    public long Integer { get; }

    public decimal Decimal { get; }

    /// <summary>The value of a String, Token or Display String.</summary>
    public string? Text { get; }

    /// <summary>The decoded value of a Byte Sequence.</summary>
    public byte[]? Bytes { get; }

    public bool Boolean => Kind == BareItemKind.Boolean && Integer != 0;

    /// <summary>Whether this is a String or Token whose text is not empty (the usual shape of a name).</summary>
    public bool IsNonEmptyStringOrToken => Kind is BareItemKind.String or BareItemKind.Token && Text!.Length > 0;

    public static BareItem FromInteger(long value) => new(BareItemKind.Integer, value, 0, null, null);

    public static BareItem FromDecimal(decimal value) => new(BareItemKind.Decimal, 0, value, null, null);

    public static BareItem FromString(string value) => new(BareItemKind.String, 0, 0, value, null);

    public static BareItem FromToken(string value) => new(BareItemKind.Token, 0, 0, value, null);

    public static BareItem FromBytes(byte[] value) => new(BareItemKind.ByteSequence, 0, 0, null, value);

    public static BareItem FromBoolean(bool value) => new(BareItemKind.Boolean, value ? 1 : 0, 0, null, null);

    public static BareItem FromDate(long seconds) => new(BareItemKind.Date, seconds, 0, null, null);

    public static BareItem FromDisplayString(string value) => new(BareItemKind.DisplayString, 0, 0, value, null);
}

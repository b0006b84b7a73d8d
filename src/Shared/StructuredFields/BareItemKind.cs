namespace Okome.Shared.StructuredFields;

/// <summary>The type of a structured-field bare item (RFC 8941 section 3.3, plus Date and Display String of RFC 9651).</summary>
internal enum BareItemKind
{
    /// <summary>sf-integer: <see cref="BareItem.Integer"/>.</summary>
    Integer,

    /// <summary>sf-decimal: <see cref="BareItem.Decimal"/>.</summary>
    Decimal,

    /// <summary>sf-string: <see cref="BareItem.Text"/>, printable ASCII.</summary>
    String,

    /// <summary>sf-token: <see cref="BareItem.Text"/>.</summary>
    Token,

    /// <summary>sf-binary: <see cref="BareItem.Bytes"/>.</summary>
    ByteSequence,

    /// <summary>sf-boolean: <see cref="BareItem.Boolean"/>.</summary>
    Boolean,

    /// <summary>sf-date (RFC 9651): seconds since the epoch in <see cref="BareItem.Integer"/>.</summary>
    Date,

    /// <summary>sf-displaystring (RFC 9651): <see cref="BareItem.Text"/>, any Unicode text.</summary>
    DisplayString,
}

namespace Okome.Shared.StructuredFields;

/// <summary>An sf-item: a bare item and its parameters.</summary>
internal readonly record struct StructuredItem(BareItem Value, Parameters Parameters);

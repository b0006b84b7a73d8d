namespace Okome.Shared.StructuredFields;

/// <summary>One parameter of an item or inner list: a key (lower-case sf-key) and its bare value.</summary>
internal readonly record struct Parameter(string Key, BareItem Value);

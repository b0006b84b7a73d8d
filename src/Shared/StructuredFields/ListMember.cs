namespace Okome.Shared.StructuredFields;

/// <summary>
/// A member of an sf-list: an item (<see cref="Value"/> with its parameters) or an inner list
/// (<see cref="InnerList"/>, with the inner list's own parameters).
/// </summary>
internal readonly struct ListMember
{
    private ListMember(BareItem value, StructuredItem[]? innerList, Parameters parameters)
    {
        Value = value;
        InnerList = innerList;
        Parameters = parameters;
    }

    /// <summary>The item's bare value; default for an inner list.</summary>
    public BareItem Value { get; }

    /// <summary>The inner list's items, or <see langword="null"/> when the member is an item.</summary>
    public StructuredItem[]? InnerList { get; }

    public bool IsInnerList => InnerList is not null;

    /// <summary>The parameters of the item, or of the inner list as a whole.</summary>
    public Parameters Parameters { get; }

    public static ListMember FromItem(StructuredItem item) => new(item.Value, null, item.Parameters);

    public static ListMember FromInnerList(StructuredItem[] items, Parameters parameters) => new(default, items, parameters);
}

using Microsoft.Extensions.Options;

namespace Okome.Caching.Stores;

/// <summary>
/// Checks the data annotations of <see cref="InMemoryCacheStoreOptions"/> with code the options source generator writes (no
/// reflection): what the in-memory store runs when it is built and what <c>AddOkomeCaching</c> runs at start-up.
/// </summary>
[OptionsValidator]
internal sealed partial class InMemoryCacheStoreOptionsValidator : IValidateOptions<InMemoryCacheStoreOptions>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly InMemoryCacheStoreOptionsValidator Instance = new();
}

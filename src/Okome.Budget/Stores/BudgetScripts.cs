using System.Reflection;

namespace Okome.Budget.Stores;

/// <summary>
/// The Lua scripts of the Redis store, embedded as resources next to this file. StackExchange.Redis runs a script given as
/// text through its script cache: it sends <c>SCRIPT LOAD</c> once per server and <c>EVALSHA</c> afterwards, and reloads on
/// <c>NOSCRIPT</c> (after a restart or <c>SCRIPT FLUSH</c>).
/// </summary>
internal static class BudgetScripts
{
    /// <summary>Checks and charges every limit of a policy, all or nothing.</summary>
    public static readonly string Acquire = Load("acquire.lua");

    /// <summary>Settles a lease with its actual cost.</summary>
    public static readonly string Settle = Load("settle.lua");

    /// <summary>Ends an unsettled lease by policy.</summary>
    public static readonly string Release = Load("release.lua");

    /// <summary>Undoes an acquire the client gave up on and leaves a tombstone for its lease id.</summary>
    public static readonly string Abort = Load("abort.lua");

    /// <summary>Extends an open lease.</summary>
    public static readonly string Renew = Load("renew.lua");

    private static string Load(string name)
    {
        var assembly = typeof(BudgetScripts).Assembly;
        using var stream = assembly.GetManifestResourceStream("Okome.Budget.Stores." + name)
            ?? throw new InvalidOperationException($"The embedded script '{name}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

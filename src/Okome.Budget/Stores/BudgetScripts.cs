using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

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

    private static readonly byte[][] Sha1s = [Sha1(Acquire), Sha1(Settle), Sha1(Release), Sha1(Abort), Sha1(Renew)];

    /// <summary>The index of one of these scripts (0 to 4), or -1 for any other script.</summary>
    public static int IndexOf(string script)
        => ReferenceEquals(script, Acquire) ? 0
        : ReferenceEquals(script, Settle) ? 1
        : ReferenceEquals(script, Release) ? 2
        : ReferenceEquals(script, Abort) ? 3
        : ReferenceEquals(script, Renew) ? 4
        : -1;

    /// <summary>
    /// The SHA1 by which Redis knows one of these scripts, for <c>EVALSHA</c> without the client's script-cache lookup:
    /// StackExchange.Redis finds a script given as text by hashing the whole text on every call (several microseconds for
    /// <c>acquire.lua</c>). Null for any other script.
    /// </summary>
    public static byte[]? Sha1Of(string script) => IndexOf(script) is var i and >= 0 ? Sha1s[i] : null;

    /// <summary>Whether a server error says the script is not loaded there (a restart, <c>SCRIPT FLUSH</c>, a new cluster node): nothing ran.</summary>
    public static bool IsNoScript(RedisServerException exception) => exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);

#pragma warning disable CA5350 // SHA1 is how Redis names a script (EVALSHA); it protects nothing here.
    private static byte[] Sha1(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));
#pragma warning restore CA5350

    private static string Load(string name)
    {
        var assembly = typeof(BudgetScripts).Assembly;
        using var stream = assembly.GetManifestResourceStream("Okome.Budget.Stores." + name)
            ?? throw new InvalidOperationException($"The embedded script '{name}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

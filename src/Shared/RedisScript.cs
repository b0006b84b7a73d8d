using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Okome.Shared;

/// <summary>
/// One Lua script of a Redis store, read once from an embedded <c>.lua</c> resource, and the one way every package runs
/// its scripts: by SHA1 (<c>EVALSHA</c>) once the text has been sent through the same connection, and through the text again when a server
/// answers <c>NOSCRIPT</c> (restarted, <c>SCRIPT FLUSH</c>, another cluster node), which loads it there. See
/// <c>readme.md</c>.
/// </summary>
internal sealed class RedisScript
{
    private readonly byte[] _sha1;

    // The connection through which the text was last sent (which loaded the script on its server): calls through it send
    // the SHA1 first. Per connection, so that a new connection (a test's fresh server) costs no refused call either.
    private IConnectionMultiplexer? _loadedThrough;

    private RedisScript(string name, string text)
    {
        Name = name;
        Text = text;
#pragma warning disable CA5350 // SHA1 is how Redis names a script (EVALSHA); it protects nothing here.
        _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    /// <summary>The resource's name below its anchor's namespace (<c>acquire.lua</c>), for messages.</summary>
    public string Name { get; }

    /// <summary>The script's text.</summary>
    public string Text { get; }

    /// <summary>The SHA1 by which Redis knows the script, as lowercase hex (what <c>SCRIPT EXISTS</c> takes).</summary>
    public string Sha1Hex => Convert.ToHexStringLower(_sha1);

    /// <summary>
    /// Reads the embedded resource <c>&lt;namespace of <paramref name="anchor"/>&gt;.&lt;<paramref name="name"/>&gt;</c>
    /// from <paramref name="anchor"/>'s assembly: the default resource name of a <c>.lua</c> file beside that type
    /// (<c>acquire.lua</c>) or in a folder below it (<c>Scripts.acquire.lua</c>).
    /// </summary>
    public static RedisScript Embedded(Type anchor, string name)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var assembly = anchor.Assembly;
        var resource = anchor.Namespace + "." + name;
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded script '{resource}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return new RedisScript(name, reader.ReadToEnd());
    }

    /// <summary>
    /// Runs the script on the server that owns <paramref name="keys"/>. Given the text, StackExchange.Redis loads the script
    /// on that server (<c>SCRIPT LOAD</c>, per server, so right on every cluster node) and retries once on <c>NOSCRIPT</c>;
    /// but it finds the script in its cache by hashing the whole text on every call (several µs for an 8 KB script), so once
    /// the text has been sent this sends the SHA1 instead and falls back to the text only when the server answers
    /// <c>NOSCRIPT</c>, which means nothing ran.
    /// </summary>
    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        // A token cancelled before the call sends nothing (WaitAsync alone would race a reply that is already there).
        cancellationToken.ThrowIfCancellationRequested();
        var connection = database.Multiplexer;
        if (ReferenceEquals(Volatile.Read(ref _loadedThrough), connection))
        {
            try
            {
                return await WithCancellation(database.ScriptEvaluateAsync(_sha1, keys, args), cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException exception) when (IsNoScript(exception))
            {
                // Not loaded on that server: the text path below loads it and runs it.
            }
        }

        var result = await WithCancellation(database.ScriptEvaluateAsync(Text, keys, args), cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _loadedThrough, connection);
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static bool IsNoScript(RedisServerException exception) => exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);

    // WaitAsync only when the token can fire: it costs a task and a continuation on every call otherwise.
    private static Task<RedisResult> WithCancellation(Task<RedisResult> call, CancellationToken cancellationToken)
        => cancellationToken.CanBeCanceled ? call.WaitAsync(cancellationToken) : call;
}

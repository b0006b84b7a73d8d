using System.Reflection;

namespace Okome.Caching.Stores;

/// <summary>
/// The Lua scripts of the Redis store, embedded next to this type (<c>Scripts/*.lua</c>, each opening with its
/// KEYS/ARGV contract). StackExchange.Redis sends them by SHA (EVALSHA) once the server has seen them.
/// </summary>
internal static class RedisScripts
{
    public static readonly string Acquire = Load("acquire");
    public static readonly string Commit = Load("commit");
    public static readonly string Release = Load("release");
    public static readonly string Renew = Load("renew");
    public static readonly string Write = Load("write");
    public static readonly string Bump = Load("bump");

    private static string Load(string name)
    {
        var resource = $"Okome.Caching.Stores.Scripts.{name}.lua";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
                           ?? throw new InvalidOperationException($"The embedded script {resource} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

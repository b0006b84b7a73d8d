using Okome.Testing;

namespace Okome.Benchmarks.Modes;

/// <summary>The frame every multi-process mode shares: a Redis to run against, and any failure reported as exit code 2.</summary>
internal static class ModeRedis
{
    /// <summary>
    /// Runs <paramref name="body"/> against the Redis at <paramref name="endpoint"/>, or against a <c>redis-server</c> from
    /// PATH started for the run and stopped after it (the body is told which, by its second argument).
    /// </summary>
    public static async Task<int> RunAsync(string mode, string? endpoint, Func<string, bool, Task<int>> body)
    {
        RedisProcess? owned = null;
        try
        {
            if (endpoint is null)
            {
                var executable = RedisProcess.FindExecutable()
                    ?? throw new InvalidOperationException("redis-server is not on PATH: install it, or pass --redis HOST:PORT.");
                owned = await RedisProcess.StartAsync(executable);
                endpoint = owned.Endpoint;
            }

            return await body(endpoint, owned is not null);
        }
#pragma warning disable CA1031 // The mode reports any failure (Redis unreachable, a worker crashed, the timeout) as exit code 2.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"{mode}: error: {ex.Message}");
            return 2;
        }
        finally
        {
            if (owned is not null)
            {
                await owned.DisposeAsync();
            }
        }
    }
}

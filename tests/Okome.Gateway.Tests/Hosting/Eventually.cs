namespace Okome.Gateway.Tests.Hosting;

/// <summary>Waits for a condition observable only from outside a process (its HTTP answers), with a bounded timeout.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        Exception? last = null;
        while (elapsed.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
            {
                last = ex;
            }

            // Another process's state: polled, at most every 100 ms, never longer than the timeout.
            await Task.Delay(100);
        }

        throw new TimeoutException($"Within {timeout}: {because}.", last);
    }
}

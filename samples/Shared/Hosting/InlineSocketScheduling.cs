using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Okome.Samples.Hosting;

/// <summary>
/// Runs the application's continuations on the socket threads (Kestrel's <c>UnsafePreferInlineScheduling</c>) when the
/// operator turns on the runtime's own switch for inline socket completions, <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>
/// (read by the runtime, not by us). A request then goes from the socket to the handler and back without a hand-off to
/// the thread pool: on 2 cores a cached HIT spent ~25 % less CPU (docs/benchmarks.md, round 3). Off by default: any code
/// that blocks on the request path (a synchronous first Redis connect, a full stdout pipe) then stalls every connection
/// served by that socket thread, not one request.
/// </summary>
internal static class InlineSocketScheduling
{
    /// <summary>The runtime's environment variable that turns inline socket completions on.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Prefers inline scheduling in Kestrel's socket transport when <paramref name="variable"/> (the value of <see cref="Variable"/>) is <c>1</c>.</summary>
    /// <returns>Whether it was turned on.</returns>
    public static bool Apply(IWebHostBuilder webHost, string? variable)
    {
        if (variable != "1")
        {
            return false;
        }

        webHost.UseSockets(static sockets => sockets.UnsafePreferInlineScheduling = true);
        return true;
    }
}

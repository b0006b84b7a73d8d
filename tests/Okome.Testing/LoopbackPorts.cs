using System.Net;
using System.Net.Sockets;

namespace Okome.Testing;

/// <summary>Finds free TCP ports on the loopback interface for servers the tests start.</summary>
public static class LoopbackPorts
{
    // Below the kernel's range for outgoing connections (Linux: 32768–60999), even with the cluster bus offset: a port from
    // that range can be taken by any client socket between this check and the server's bind (seen: "Address already in use"
    // while several test runs shared the machine); a port below it is only taken by a server that asks for it.
    private const int FirstPort = 10_000;
    private const int EndPort = 22_768;

    private static readonly object Gate = new();
    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// Returns a port that is free now and was not handed out before in this process.
    /// When <paramref name="alsoFreeAtOffset"/> is set, the port plus that offset must be free too
    /// (Redis Cluster's bus port is the client port + 10000).
    /// </summary>
    public static int Next(int alsoFreeAtOffset = 0)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Bind(Random.Shared.Next(FirstPort, EndPort));
                if (port == 0 || port + alsoFreeAtOffset > 65535 || Handed.Contains(port))
                {
                    continue;
                }

                if (alsoFreeAtOffset != 0 && Bind(port + alsoFreeAtOffset) == 0)
                {
                    continue;
                }

                Handed.Add(port);
                return port;
            }

            throw new InvalidOperationException("Could not find a free loopback port.");
        }
    }

    private static int Bind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        catch (SocketException)
        {
            return 0;
        }
    }
}

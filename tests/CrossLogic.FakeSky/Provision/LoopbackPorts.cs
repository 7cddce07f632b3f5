using System.Net;
using System.Net.Sockets;

namespace CrossLogic.FakeSky.Provision;

/// <summary>Free loopback ports standing in for the ports a task exposes on its VM.</summary>
internal static class LoopbackPorts
{
    /// <summary>Asks the kernel for a free port (bind to 0), skipping ports another cluster already holds.</summary>
    public static int Allocate(ISet<int> taken)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            if (taken.Add(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free loopback port found");
    }
}

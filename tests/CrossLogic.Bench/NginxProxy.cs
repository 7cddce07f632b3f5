using System.Diagnostics;
using CrossLogic.Testing;

namespace CrossLogic.Bench;

/// <summary>nginx `proxy_pass` with upstream keep-alive, the reference line of the gateway benchmark.</summary>
internal sealed class NginxProxy : IDisposable
{
    private readonly Process _process;

    private NginxProxy(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static NginxProxy? TryStart(string dir, int enginePort)
    {
        var nginx = new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx" }.FirstOrDefault(File.Exists);
        if (nginx is null)
        {
            Console.Error.WriteLine("nginx not installed: the nginx reference line is skipped (apt-get install nginx)");
            return null;
        }

        var port = FreePort.Next();
        var prefix = Path.Combine(dir, "nginx");
        Directory.CreateDirectory(prefix);
        var user = Environment.UserName == "root" ? "user root;" : "";
        File.WriteAllText(Path.Combine(prefix, "nginx.conf"), $$"""
            {{user}}
            worker_processes auto;
            daemon off;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log warn;
            events { worker_connections 8192; }
            http {
              access_log off;
              client_body_temp_path {{prefix}}/body;
              proxy_temp_path {{prefix}}/proxy;
              fastcgi_temp_path {{prefix}}/fastcgi;
              uwsgi_temp_path {{prefix}}/uwsgi;
              scgi_temp_path {{prefix}}/scgi;
              upstream engine { server 127.0.0.1:{{enginePort}}; keepalive 256; }
              server {
                listen 127.0.0.1:{{port}};
                location / {
                  proxy_pass http://engine;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_buffering off;
                }
              }
            }
            """);
        var process = Process.Start(new ProcessStartInfo(nginx, ["-p", prefix, "-c", Path.Combine(prefix, "nginx.conf")]) { UseShellExecute = false })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var socket = new System.Net.Sockets.TcpClient("127.0.0.1", port);
                return new NginxProxy(process, port);
            }
            catch (System.Net.Sockets.SocketException)
            {
                Thread.Sleep(100);
            }
        }

        process.Kill(entireProcessTree: true);
        Console.Error.WriteLine("nginx did not start: " + File.ReadAllText(Path.Combine(prefix, "error.log")));
        return null;
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}

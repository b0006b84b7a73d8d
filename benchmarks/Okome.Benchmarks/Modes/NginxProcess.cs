using System.Diagnostics;
using System.Globalization;
using Okome.Testing;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// The hit-path mode's peer: nginx (from PATH, <c>apt-get install -y nginx</c>) on a free loopback port, configured as the
/// seed's frontend cached chat completions: <c>proxy_cache</c> with <c>proxy_cache_methods POST</c>, the key URI + body,
/// <c>proxy_cache_valid 200 5m</c>, in front of one upstream. Its prefix (configuration, cache, logs) is a private temporary
/// folder; disposing stops it (SIGTERM via <c>-s stop</c> is not needed: it runs in the foreground and is killed).
/// </summary>
internal sealed class NginxProcess : IDisposable
{
    private readonly Process _process;

    private NginxProcess(Process process, int port, string prefix)
    {
        _process = process;
        Port = port;
        Prefix = prefix;
    }

    /// <summary>The loopback port nginx listens on.</summary>
    public int Port { get; }

    /// <summary>The master's process id (its workers are its children).</summary>
    public int ProcessId => _process.Id;

    /// <summary>nginx's prefix folder (nginx.conf, the cache, error.log, access.log).</summary>
    public string Prefix { get; }

    /// <summary>The base address.</summary>
    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>The nginx executable on PATH, or null.</summary>
    public static string? FindExecutable() => Executables.Find("nginx", "/usr/sbin/nginx");

    /// <summary>Starts nginx in front of the upstream on <paramref name="upstreamPort"/> and waits until it answers.</summary>
    /// <param name="executable">The nginx executable.</param>
    /// <param name="upstreamPort">The upstream's loopback port.</param>
    /// <param name="accessLog">Whether nginx writes an access line per request (buffered, as a production frontend does).</param>
    public static async Task<NginxProcess> StartAsync(string executable, int upstreamPort, bool accessLog)
    {
        var prefix = Directory.CreateTempSubdirectory("okome-nginx-").FullName;
        var port = LoopbackPorts.Next();
        var conf = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(conf, Configuration(prefix, port, upstreamPort, accessLog));

        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-p", prefix + "/", "-c", conf, "-e", Path.Combine(prefix, "error.log"), "-g", "daemon off;" })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("nginx did not start.");
        var nginx = new NginxProcess(process, port, prefix);
        try
        {
            await nginx.WaitReadyAsync();
            return nginx;
        }
        catch
        {
            nginx.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }

        _process.Dispose();
    }

    private static string Configuration(string prefix, int port, int upstreamPort, bool accessLog)
    {
        // Workers run as the master's user when that is root, so they can write the private (0700) prefix.
        var user = Environment.UserName == "root" ? "user root root;\n" : string.Empty;
        var log = accessLog ? $"access_log {prefix}/access.log combined buffer=64k flush=1s;" : "access_log off;";
        return string.Create(CultureInfo.InvariantCulture, $$"""
            {{user}}worker_processes auto;
            pid {{prefix}}/nginx.pid;
            events { worker_connections 4096; }
            http {
                {{log}}
                client_body_temp_path {{prefix}}/client_body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                proxy_cache_path {{prefix}}/cache levels=1:2 keys_zone=okome:10m max_size=256m inactive=10m use_temp_path=off;
                upstream gpu {
                    server 127.0.0.1:{{upstreamPort}};
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:{{port}};
                    # $request_body is only set for a body held in memory.
                    client_body_buffer_size 1m;
                    client_max_body_size 1m;
                    location /v1/ {
                        proxy_pass http://gpu;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_cache okome;
                        proxy_cache_methods POST;
                        proxy_cache_key "$request_uri|$request_body";
                        proxy_cache_valid 200 5m;
                        proxy_cache_lock on;
                        add_header X-Cache-Status $upstream_cache_status always;
                    }
                }
            }
            """);
    }

    private async Task WaitReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (_process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await client.GetAsync(new Uri("v1/models", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        var errors = File.Exists(Path.Combine(Prefix, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(Prefix, "error.log")) : string.Empty;
        throw new InvalidOperationException($"nginx on port {Port} did not start: {(_process.HasExited ? await _process.StandardError.ReadToEndAsync() : string.Empty)}{errors}");
    }
}

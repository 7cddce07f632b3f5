using System.Net;
using System.Text;

namespace CrossLogic.Testing;

/// <summary>
/// The three clouds' metadata services on one loopback port, as ../shared/data/metadata/README.md describes them:
/// AWS IMDSv2 (token, 401 on an expired one, spot/instance-action, rebalance), GCP (Metadata-Flavor, hanging GETs
/// with wait_for_change and last_etag), Azure Scheduled Events (Metadata: true, StartRequests acknowledgements).
/// Tests flip what it says and can make it fail (down, garbage, slow).
/// </summary>
public sealed class FakeMetadataServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<string> _acknowledgements = [];
    private readonly HashSet<string> _tokens = [];
    private readonly Dictionary<string, int> _tokenUses = [];
    private string? _awsInstanceAction;
    private HashSet<string>? _awsNoticeTokens;
    private string _gcpPreempted = "FALSE";
    private int _gcpVersion;
    private string _azureDocument = """{"DocumentIncarnation": 1, "Events": []}""";
    private TaskCompletionSource _gcpChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    public enum Fault
    {
        None,
        Down,
        Garbage,
        Slow,
    }

    public string Url { get; private set; } = "";

    /// <summary>A token stops working (401) after this many uses; 0 means never.</summary>
    public int AwsTokenUses { get; set; }

    public int AwsTokensIssued { get; private set; }

    public Fault Failure { get; set; }

    public IReadOnlyList<string> AzureAcknowledgements
    {
        get
        {
            lock (_lock)
            {
                return [.. _acknowledgements];
            }
        }
    }

    public DateTimeOffset? FirstAcknowledgementAt { get; private set; }

    public static FakeMetadataServer Start()
    {
        var server = new FakeMetadataServer();
        var port = FreePort.Next();
        server.Url = $"http://127.0.0.1:{port}";
        server._listener.Prefixes.Add(server.Url + "/");
        server._listener.Start();
        server._loop = Task.Run(server.AcceptAsync);
        return server;
    }

    /// <summary>`{"action": …, "time": …}` from now on (null: 404, nothing scheduled).</summary>
    public void SetAwsInstanceAction(string? json)
    {
        lock (_lock)
        {
            _awsInstanceAction = json;
            _awsNoticeTokens = null;
        }
    }

    /// <summary>The machines asking now, by their IMDSv2 tokens: a fleet shares one fake server, and a test preempts some
    /// of its machines (<see cref="SetAwsInstanceActionFor"/>), not the others nor the replacements launched later.</summary>
    public IReadOnlySet<string> CurrentAwsMachines()
    {
        lock (_lock)
        {
            return new HashSet<string>(_tokens);
        }
    }

    public void SetAwsInstanceActionFor(IReadOnlySet<string> machines, string json)
    {
        lock (_lock)
        {
            _awsInstanceAction = json;
            _awsNoticeTokens = [.. machines];
        }
    }

    public void SetGcpPreempted(bool preempted)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _gcpPreempted = preempted ? "TRUE" : "FALSE";
            _gcpVersion++;
            changed = _gcpChanged;
            _gcpChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public void SetAzureDocument(string json)
    {
        lock (_lock)
        {
            _azureDocument = json;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            switch (Failure)
            {
                case Fault.Down:
                    await ReplyAsync(context, 500, "internal error");
                    return;
                case Fault.Slow:
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                    break;
            }

            var path = context.Request.Url!.AbsolutePath;
            if (path.StartsWith("/latest/", StringComparison.Ordinal))
            {
                await AwsAsync(context, path);
            }
            else if (path.StartsWith("/computeMetadata/v1/", StringComparison.Ordinal))
            {
                await GcpAsync(context, path);
            }
            else if (path.StartsWith("/metadata/", StringComparison.Ordinal))
            {
                await AzureAsync(context, path);
            }
            else
            {
                await ReplyAsync(context, 404, "not found");
            }
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The client went away, or the server is stopping.
        }
    }

    private async Task AwsAsync(HttpListenerContext context, string path)
    {
        if (path == "/latest/api/token" && context.Request.HttpMethod == "PUT")
        {
            if (context.Request.Headers["X-aws-ec2-metadata-token-ttl-seconds"] is null)
            {
                await ReplyAsync(context, 400, "missing ttl");
                return;
            }

            var token = "tok-" + Guid.NewGuid().ToString("N");
            lock (_lock)
            {
                _tokens.Add(token);
                AwsTokensIssued++;
            }

            await ReplyAsync(context, 200, token);
            return;
        }

        var presented = context.Request.Headers["X-aws-ec2-metadata-token"] ?? "";
        lock (_lock)
        {
            if (!_tokens.Contains(presented))
            {
                presented = "";
            }
            else if (AwsTokenUses > 0 && (_tokenUses[presented] = _tokenUses.GetValueOrDefault(presented) + 1) > AwsTokenUses)
            {
                _tokens.Remove(presented);
                presented = "";
            }
        }

        if (presented.Length == 0)
        {
            await ReplyAsync(context, 401, "");
            return;
        }

        string? body;
        lock (_lock)
        {
            body = path switch
            {
                "/latest/meta-data/spot/instance-action" => _awsNoticeTokens is null || _awsNoticeTokens.Contains(presented) ? _awsInstanceAction : null,
                _ => null,
            };
        }

        if (Failure == Fault.Garbage)
        {
            await ReplyAsync(context, 200, "<html><body>captive portal</body></html>");
            return;
        }

        await ReplyAsync(context, body is null ? 404 : 200, body ?? "Not Found");
    }

    private async Task GcpAsync(HttpListenerContext context, string path)
    {
        if (context.Request.Headers["Metadata-Flavor"] != "Google")
        {
            await ReplyAsync(context, 403, "Missing Metadata-Flavor:Google header.");
            return;
        }

        if (Failure == Fault.Garbage)
        {
            await ReplyAsync(context, 200, "maybe", gcp: true);
            return;
        }

        if (path == "/computeMetadata/v1/instance/id")
        {
            await ReplyAsync(context, 200, "1234567890", gcp: true);
            return;
        }

        if (path == "/computeMetadata/v1/instance/maintenance-event")
        {
            // Never changes here: hang until the client gives up, as the real service does.
            if (context.Request.QueryString["wait_for_change"] == "true")
            {
                await Task.Delay(TimeSpan.FromSeconds(int.Parse(context.Request.QueryString["timeout_sec"] ?? "60", System.Globalization.CultureInfo.InvariantCulture)), _stop.Token);
            }

            await ReplyAsync(context, 200, "NONE", gcp: true, etag: "m0");
            return;
        }

        if (path != "/computeMetadata/v1/instance/preempted")
        {
            await ReplyAsync(context, 404, "not found", gcp: true);
            return;
        }

        Task changed;
        string etag;
        lock (_lock)
        {
            changed = _gcpChanged.Task;
            etag = "p" + _gcpVersion;
        }

        if (context.Request.QueryString["wait_for_change"] == "true" && context.Request.QueryString["last_etag"] == etag)
        {
            var seconds = int.Parse(context.Request.QueryString["timeout_sec"] ?? "60", System.Globalization.CultureInfo.InvariantCulture);
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(seconds), _stop.Token));
        }

        string value;
        lock (_lock)
        {
            value = _gcpPreempted;
            etag = "p" + _gcpVersion;
        }

        await ReplyAsync(context, 200, value, gcp: true, etag: etag);
    }

    private async Task AzureAsync(HttpListenerContext context, string path)
    {
        if (context.Request.Headers["Metadata"] != "true")
        {
            await ReplyAsync(context, 400, """{"error":"Bad request. Required metadata header not specified"}""");
            return;
        }

        if (path == "/metadata/instance")
        {
            await ReplyAsync(context, 200, """{"compute":{"vmId":"x"}}""");
            return;
        }

        if (context.Request.HttpMethod == "POST")
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            lock (_lock)
            {
                _acknowledgements.Add(body);
                FirstAcknowledgementAt ??= DateTimeOffset.UtcNow;
            }

            await ReplyAsync(context, 200, "");
            return;
        }

        string document;
        lock (_lock)
        {
            document = _azureDocument;
        }

        await ReplyAsync(context, 200, Failure == Fault.Garbage ? "{\"not\":\"events\"}" : document);
    }

    private static async Task ReplyAsync(HttpListenerContext context, int status, string body, bool gcp = false, string? etag = null)
    {
        context.Response.StatusCode = status;
        if (gcp)
        {
            context.Response.Headers["Metadata-Flavor"] = "Google";
        }

        if (etag is not null)
        {
            context.Response.Headers["ETag"] = etag;
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}

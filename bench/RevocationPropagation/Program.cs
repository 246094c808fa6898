// Fleet revocation propagation benchmark (not a test): redis-server and two sidecar processes (A, B) on 127.0.0.1.
// N times: revoke a fresh agent identity at A's admin API, then measure
//   propagation: from sending the POST at A to B's GET /admin/revocations/check first answering refused (polled
//                back to back on one kept-alive connection), confirmed by an agent request at B refused 403 revoked;
//   local effect: from A's 201 to the answer of a new agent request at A (fresh mTLS connection) refused 403 revoked.
// Prints p50/p90/p99/max. Bounded: every wait has a deadline, N is capped, the processes are killed at the end.
//
// usage: RevocationPropagation --sidecar-dll proxy/SidecarProxy/bin/Release/net10.0/SidecarProxy.dll [--n 200] [--policies policies]
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using SidecarProxy.TestSupport;

var sidecarDll = Arg("--sidecar-dll") ?? "proxy/SidecarProxy/bin/Release/net10.0/SidecarProxy.dll";
var policies = Arg("--policies") ?? "policies";
var n = Math.Clamp(int.Parse(Arg("--n") ?? "200", CultureInfo.InvariantCulture), 1, 2000);
if (!File.Exists(sidecarDll))
{
    Console.Error.WriteLine($"no sidecar at {sidecarDll}: dotnet build proxy/SidecarProxy -c Release");
    return 2;
}

const string TrustDomain = "bench.test";
const string AdminId = "spiffe://bench.test/ops/admin";
var processes = new List<Process>();
using var work = new TempDirectory();
using var root = TestCa.CreateRoot(TrustDomain);
using var identity = new IdentityDirectory();
identity.WriteBundle(TrustDomain, root);
try
{
    var redisPort = FreePort();
    processes.Add(Start("redis-server", ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], []));
    var a = StartSidecar("a", redisPort);
    var b = StartSidecar("b", redisPort);
    foreach (var s in new[] { a, b })
    {
        if (!await WaitAsync(async () => await ReadyAsync(s.Ops), TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException($"sidecar {s.Name} not ready in 60 s");
        }
    }

    using var adminA = Client(a.Admin, AdminId);
    using var adminB = Client(b.Admin, AdminId);
    var propagation = new List<double>();
    var local = new List<double>();
    var refusedFirst = 0;
    var confirmedAtB = 0;

    // Warm-up (JIT, TLS session setup) not counted.
    for (var i = -5; i < n; i++)
    {
        var agent = $"spiffe://{TrustDomain}/agent/bench-{i + 5}";
        var body = JsonSerializer.Serialize(new { subject = new { kind = "spiffe_id", value = agent }, action = "revoke", reason = "benchmark" });
        var sent = Stopwatch.GetTimestamp();
        var response = adminA.PostAsync(new Uri("/admin/revocations", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        // B, polled back to back from the moment the POST is sent.
        var seenAtB = Task.Run(async () =>
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var check = await adminB.GetFromJsonAsync<JsonElement>(new Uri("/admin/revocations/check?spiffe_id=" + Uri.EscapeDataString(agent), UriKind.Relative));
                if (check.GetProperty("refused").GetBoolean())
                {
                    return Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                }
            }

            return double.NaN;
        });

        using (var created = await response)
        {
            if ((int)created.StatusCode != 201)
            {
                throw new InvalidOperationException($"revoke answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            }
        }

        var answered = Stopwatch.GetTimestamp();
        var status = await AgentStatusAsync(a.Agent, root, agent);
        var localMs = Stopwatch.GetElapsedTime(answered).TotalMilliseconds;
        var atB = await seenAtB;
        var confirmed = await AgentStatusAsync(b.Agent, root, agent) == 403;
        if (i < 0)
        {
            continue;
        }

        refusedFirst += status == 403 ? 1 : 0;
        confirmedAtB += confirmed ? 1 : 0;
        local.Add(localMs);
        if (!double.IsNaN(atB))
        {
            propagation.Add(atB);
        }
    }

    Console.WriteLine($"revocations: {n}; cores: {Environment.ProcessorCount}; load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine($"propagation A -> B (POST sent at A to B's check refusing), ms: {Summary(propagation)}; seen at B: {propagation.Count}/{n}, agent refused at B after: {confirmedAtB}/{n}");
    Console.WriteLine($"local effect at A (201 to a new agent request's 403, incl. its mTLS handshake), ms: {Summary(local)}; first request refused: {refusedFirst}/{n}");
    return propagation.Count == n && refusedFirst == n && confirmedAtB == n ? 0 : 1;
}
finally
{
    foreach (var process in Enumerable.Reverse(processes))
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }
}

Sidecar StartSidecar(string name, int redisPort)
{
    var (agentPort, opsPort, adminPort) = (FreePort(), FreePort(), FreePort());
    var env = new Dictionary<string, string>
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Sidecar__Listen"] = $"https://127.0.0.1:{agentPort}",
        ["Sidecar__Metrics__Listen"] = $"http://127.0.0.1:{opsPort}",
        ["Sidecar__Admin__Listen"] = $"https://127.0.0.1:{adminPort}",
        ["Sidecar__Admin__Principals__0__Id"] = AdminId,
        ["Sidecar__Admin__Principals__0__Roles__0"] = "revoke",
        ["Sidecar__Revocations__Redis"] = $"127.0.0.1:{redisPort}",
        ["Sidecar__Revocations__StatePath"] = work.PathOf(name + ".json"),
        ["Sidecar__Policy__Directory"] = Path.GetFullPath(policies),
    };
    foreach (var (key, value) in identity.Configuration(TrustDomain))
    {
        env[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
    }

    processes.Add(Start("dotnet", [Path.GetFullPath(sidecarDll)], env));
    return new Sidecar(name, new Uri($"https://127.0.0.1:{agentPort}"), new Uri($"http://127.0.0.1:{opsPort}"), new Uri($"https://127.0.0.1:{adminPort}"));
}

[SuppressMessage("Security", "CA5359:Do Not Disable Certificate Validation", Justification = "A loopback benchmark client of the sidecars it starts itself, with identities of its own test CA; nothing to authenticate.")]
HttpClient Client(Uri url, string spiffeId) =>
    new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificateContext = SslStreamCertificateContext.Create(root.IssueSvid(spiffeId), [], offline: true),
            RemoteCertificateValidationCallback = (_, _, _, _) => true, // loopback benchmark against its own sidecars
        },
    })
    { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };

async Task<int> AgentStatusAsync(Uri agentUrl, TestCa ca, string agent)
{
    using var client = Client(agentUrl, agent);
    using var response = await client.GetAsync(new Uri("/tools/none/x", UriKind.Relative));
    return (int)response.StatusCode;
}

static async Task<bool> ReadyAsync(Uri ops)
{
    try
    {
        using var http = new HttpClient { BaseAddress = ops, Timeout = TimeSpan.FromSeconds(2) };
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        return response.StatusCode == HttpStatusCode.OK;
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
    {
        return false;
    }
}

static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
{
    var deadline = DateTime.UtcNow + timeout;
    while (DateTime.UtcNow < deadline)
    {
        if (await condition())
        {
            return true;
        }

        await Task.Delay(200);
    }

    return false;
}

static Process Start(string file, string[] args, Dictionary<string, string> env)
{
    var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var arg in args)
    {
        start.ArgumentList.Add(arg);
    }

    foreach (var (key, value) in env)
    {
        start.Environment[key] = value;
    }

    var process = Process.Start(start) ?? throw new InvalidOperationException(file + " did not start");
    process.OutputDataReceived += (_, _) => { };
    process.ErrorDataReceived += (_, e) =>
    {
        if (e.Data is not null)
        {
            Console.Error.WriteLine($"[{Path.GetFileName(file)}] {e.Data}");
        }
    };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string Summary(List<double> values)
{
    if (values.Count == 0)
    {
        return "no samples";
    }

    var sorted = values.Order().ToList();
    double P(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    return string.Create(CultureInfo.InvariantCulture, $"p50 {P(0.5):0.00}, p90 {P(0.9):0.00}, p99 {P(0.99):0.00}, max {sorted[^1]:0.00}");
}

string? Arg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

internal sealed record Sidecar(string Name, Uri Agent, Uri Ops, Uri Admin);

using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.EndToEndTests.Infrastructure;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;
using SidecarProxy.TestSupport;

namespace SidecarProxy.EndToEndTests.Fleet;

/// <summary>
/// One real redis-server and any number of real sidecars (in-process, the shipped policies, one tool route to a
/// recording upstream, the admin listener) sharing it as their fleet revocation store, each with its own state file.
/// </summary>
internal sealed class FleetBed : IAsyncDisposable
{
    public const string TrustDomain = "sidecar.dev";
    public const string AdminId = "spiffe://sidecar.dev/ops/admin";

    private readonly List<TestProxy> _sidecars = [];
    private readonly TestCa _root;
    private readonly IdentityDirectory _identity;
    private readonly RecordingUpstream _upstream;
    private readonly TempDirectory _state = new();

    private FleetBed(RedisServer redis, TestCa root, IdentityDirectory identity, RecordingUpstream upstream)
    {
        Redis = redis;
        _root = root;
        _identity = identity;
        _upstream = upstream;
    }

    public RedisServer Redis { get; }

    public static async Task<FleetBed> StartAsync()
    {
        var redis = await RedisServer.StartAsync();
        var root = TestCa.CreateRoot(TrustDomain);
        var identity = new IdentityDirectory();
        identity.WriteBundle(TrustDomain, root);
        return new FleetBed(redis, root, identity, await RecordingUpstream.StartAsync());
    }

    /// <summary>A sidecar on the fleet; <paramref name="name"/> names its state file (reuse it to restart "the same" sidecar).</summary>
    public async Task<TestProxy> StartSidecarAsync(string name, string? maxStaleness = null, string? onStale = null)
    {
        var settings = TestProxy.BaseSettings();
        foreach (var (key, value) in _identity.Configuration(TrustDomain))
        {
            settings[key] = value;
        }

        settings["Sidecar:Policy:Directory"] = RepositoryPaths.Policies;
        TestProxy.AddPathTool(settings, "demo", _upstream.Url);
        settings["Sidecar:Admin:Listen"] = "https://127.0.0.1:0";
        settings["Sidecar:Admin:Principals:0:Id"] = AdminId;
        settings["Sidecar:Admin:Principals:0:Roles:0"] = "revoke";
        settings["Sidecar:Revocations:Redis"] = Redis.ConnectionString;
        settings["Sidecar:Revocations:StatePath"] = _state.PathOf(name + ".json");
        if (maxStaleness is not null)
        {
            settings["Sidecar:Revocations:MaxStaleness"] = maxStaleness;
        }

        if (onStale is not null)
        {
            settings["Sidecar:Revocations:OnStale"] = onStale;
        }

        var proxy = await TestProxy.StartAsync(_identity, settings);
        _sidecars.Add(proxy);
        return proxy;
    }

    public async Task StopSidecarAsync(TestProxy proxy)
    {
        _sidecars.Remove(proxy);
        await proxy.DisposeAsync();
    }

    public static Uri AdminUrl(TestProxy proxy) => proxy.App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Admin);

    public HttpClient Admin(TestProxy proxy) =>
        TestProxy.CreateAgentClient(AdminUrl(proxy), _root.IssueSvid(AdminId), null, _identity.ServerCa.Certificate, out _);

    /// <summary>Revokes <paramref name="spiffeId"/> at <paramref name="proxy"/>; returns the 201 body.</summary>
    public async Task<JsonElement> RevokeAsync(TestProxy proxy, string spiffeId)
    {
        using var admin = Admin(proxy);
        var json = JsonSerializer.Serialize(new { subject = new { kind = "spiffe_id", value = spiffeId }, action = "revoke", reason = "fleet test" });
        using var response = await admin.PostAsync(new Uri("/admin/revocations", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(201 == (int)response.StatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<(int Status, string Body)> LiftAsync(TestProxy proxy, string id)
    {
        using var admin = Admin(proxy);
        using var response = await admin.DeleteAsync(new Uri("/admin/revocations/" + id, UriKind.Relative));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonElement> CheckAsync(TestProxy proxy, string spiffeId)
    {
        using var admin = Admin(proxy);
        return await admin.GetFromJsonAsync<JsonElement>(new Uri("/admin/revocations/check?spiffe_id=" + Uri.EscapeDataString(spiffeId), UriKind.Relative));
    }

    /// <summary>
    /// One agent request on a fresh connection: the status and the problem code (null on success). A revocation that
    /// arrives while the request is in flight closes its connection: that is (0, "connection_closed").
    /// </summary>
    public async Task<(int Status, string? Code)> AgentGetAsync(TestProxy proxy, string spiffeId)
    {
        using var client = proxy.CreateClient(_root.IssueSvid(spiffeId));
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(new Uri("/tools/demo/items/1", UriKind.Relative));
        }
        catch (HttpRequestException)
        {
            return (0, "connection_closed");
        }

        using var _ = response;
        if (response.IsSuccessStatusCode)
        {
            return ((int)response.StatusCode, null);
        }

        var text = await response.Content.ReadAsStringAsync();
        using var problem = JsonDocument.Parse(text);
        return ((int)response.StatusCode, problem.RootElement.GetProperty("code").GetString());
    }

    /// <summary>/readyz: the status code and the document.</summary>
    public static async Task<(int Status, JsonElement Body)> ReadyAsync(TestProxy proxy)
    {
        using var http = new HttpClient { BaseAddress = proxy.OperationsUrl, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    public static async Task<bool> IsReadyAsync(TestProxy proxy) => (await ReadyAsync(proxy)).Status == 200;

    /// <summary>Writes the admin's SVID, key and the sidecars' CA as PEM files (for the CLI); returns (cert, key, ca).</summary>
    public (string Cert, string Key, string Ca) WriteAdminPem()
    {
        using var svid = _root.IssueSvid(AdminId);
        return (_state.Write("admin.pem", TestCa.ToPem(svid)), _state.Write("admin-key.pem", TestCa.KeyToPem(svid)),
            _state.Write("ca.pem", TestCa.ToPem(_identity.ServerCa.Certificate)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _sidecars)
        {
            await proxy.DisposeAsync();
        }

        await Redis.DisposeAsync();
        await _upstream.DisposeAsync();
        _identity.Dispose();
        _root.Dispose();
        _state.Dispose();
    }
}

using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.TestSupport;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>
/// A <see cref="CredentialBed"/> (real sidecar over mTLS, task grants, audit file) with the admin listener on
/// 127.0.0.1:0: <c>ops/admin</c> holds the role revoke, <c>ops/auditor</c> the role read, both in the agents'
/// trust domain and validated with the agents' bundle.
/// </summary>
internal sealed class AdminBed : IAsyncDisposable
{
    private AdminBed(CredentialBed bed, string trustDomain)
    {
        Bed = bed;
        TrustDomain = trustDomain;
    }

    public CredentialBed Bed { get; }

    public string TrustDomain { get; }

    public string AdminId => $"spiffe://{TrustDomain}/ops/admin";

    public string AuditorId => $"spiffe://{TrustDomain}/ops/auditor";

    public Uri AdminUrl => Bed.Proxy.App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Admin);

    public static async Task<AdminBed> StartAsync(
        string trustDomain = CredentialBed.TrustDomain,
        string? shippedPolicy = null,
        Action<Dictionary<string, string?>>? configure = null,
        Action<IServiceCollection>? extraServices = null)
    {
        var bed = await CredentialBed.StartAsync(
            trustDomain: trustDomain,
            shippedPolicy: shippedPolicy,
            configure: settings =>
            {
                AddAdmin(settings, trustDomain);
                configure?.Invoke(settings);
            },
            extraServices: extraServices);
        return new AdminBed(bed, trustDomain);
    }

    public static void AddAdmin(Dictionary<string, string?> settings, string trustDomain)
    {
        settings["Sidecar:Admin:Listen"] = "https://127.0.0.1:0";
        settings["Sidecar:Admin:Principals:0:Id"] = $"spiffe://{trustDomain}/ops/admin";
        settings["Sidecar:Admin:Principals:0:Roles:0"] = "revoke";
        settings["Sidecar:Admin:Principals:1:Id"] = $"spiffe://{trustDomain}/ops/*";
        settings["Sidecar:Admin:Principals:1:Roles:0"] = "read";
    }

    /// <summary>An admin API client presenting a fresh SVID for <paramref name="spiffeId"/> (null: no certificate).</summary>
    public HttpClient CreateAdminClient(string? spiffeId) =>
        TestProxy.CreateAgentClient(
            AdminUrl, spiffeId is null ? null : Bed.Root.IssueSvid(spiffeId), null, Bed.Identity.ServerCa.Certificate, out _);

    public HttpClient Admin() => CreateAdminClient(AdminId);

    public static async Task<HttpResponseMessage> PostRevocationAsync(HttpClient admin, string json) =>
        await admin.PostAsync(
            new Uri("/admin/revocations", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Creates a record and returns the 201 body; fails the test on any other answer.</summary>
    public async Task<JsonElement> CreateAsync(string kind, string value, string action = "revoke", string reason = "incident 42")
    {
        using var admin = Admin();
        using var response = await PostRevocationAsync(admin, JsonSerializer.Serialize(new
        {
            subject = new { kind, value },
            action,
            reason,
        }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(201 == (int)response.StatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task LiftAsync(string id)
    {
        using var admin = Admin();
        using var response = await admin.DeleteAsync(new Uri("/admin/revocations/" + id, UriKind.Relative));
        Assert.Equal(200, (int)response.StatusCode);
    }

    public async Task<JsonElement[]> ListAsync()
    {
        using var admin = Admin();
        var body = await admin.GetFromJsonAsync<JsonElement>(new Uri("/admin/revocations", UriKind.Relative));
        return [.. body.GetProperty("revocations").EnumerateArray()];
    }

    public ValueTask DisposeAsync() => Bed.DisposeAsync();
}

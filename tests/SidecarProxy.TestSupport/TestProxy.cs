using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.TestSupport;

/// <summary>
/// The real sidecar (the same composition as Program) on 127.0.0.1:0 for the agent and operations listeners,
/// with its identity in an <see cref="IdentityDirectory"/> and test-supplied configuration and services.
/// </summary>
internal sealed class TestProxy : IAsyncDisposable
{
    private TestProxy(WebApplication app, IdentityDirectory identity)
    {
        App = app;
        Identity = identity;
    }

    public WebApplication App { get; }

    public IdentityDirectory Identity { get; }

    public Uri AgentUrl => App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Agent);

    public Uri OperationsUrl => App.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Operations);

    public static Dictionary<string, string?> BaseSettings() => new()
    {
        ["Sidecar:Listen"] = "https://127.0.0.1:0",
        ["Sidecar:Metrics:Listen"] = "http://127.0.0.1:0",
        ["Sidecar:Identity:PollInterval"] = "00:00:00.200",
        ["Sidecar:Identity:Debounce"] = "00:00:00.050",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>A path-prefix tool route: /tools/{tool}/... to <paramref name="upstream"/> with the prefix removed.</summary>
    public static void AddPathTool(Dictionary<string, string?> settings, string tool, Uri upstream, string? labels = null)
    {
        settings[$"ReverseProxy:Routes:{tool}:ClusterId"] = tool;
        settings[$"ReverseProxy:Routes:{tool}:Match:Path"] = $"/tools/{tool}/{{**rest}}";
        settings[$"ReverseProxy:Routes:{tool}:Metadata:Tool"] = tool;
        settings[$"ReverseProxy:Routes:{tool}:Transforms:0:PathRemovePrefix"] = $"/tools/{tool}";
        if (labels is not null)
        {
            settings[$"ReverseProxy:Routes:{tool}:Metadata:Labels.risk"] = labels;
        }

        settings[$"ReverseProxy:Clusters:{tool}:Destinations:d1:Address"] = upstream.ToString();
    }

    /// <summary>A Host tool route: requests with Host <paramref name="host"/> go to <paramref name="upstream"/> unchanged.</summary>
    public static void AddHostTool(Dictionary<string, string?> settings, string tool, string host, Uri upstream)
    {
        settings[$"ReverseProxy:Routes:{tool}:ClusterId"] = tool;
        settings[$"ReverseProxy:Routes:{tool}:Match:Hosts:0"] = host;
        settings[$"ReverseProxy:Routes:{tool}:Match:Path"] = "/{**rest}";
        settings[$"ReverseProxy:Routes:{tool}:Metadata:Tool"] = tool;
        settings[$"ReverseProxy:Clusters:{tool}:Destinations:d1:Address"] = upstream.ToString();
    }

    public static async Task<TestProxy> StartAsync(
        IdentityDirectory identity,
        Dictionary<string, string?> settings,
        Action<IServiceCollection>? services = null,
        string environment = "Production")
    {
        var app = Build(settings, services, environment);
        await app.StartAsync();
        return new TestProxy(app, identity);
    }

    public static WebApplication Build(
        Dictionary<string, string?> settings, Action<IServiceCollection>? services = null, string environment = "Production") =>
        SidecarApplication.Build(
            [],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                builder.Logging.ClearProviders();
                services?.Invoke(builder.Services);
            },
            contentRoot: Path.GetTempPath(),
            environment: environment);

    /// <summary>
    /// A client on a fresh connection, presenting <paramref name="leaf"/> (and <paramref name="chain"/>) and
    /// verifying the sidecar against the identity directory's serving CA.
    /// </summary>
    public HttpClient CreateClient(X509Certificate2? leaf, X509Certificate2Collection? chain = null) =>
        CreateClient(leaf, chain, Identity.ServerCa.Certificate, out _);

    public HttpClient CreateClient(
        X509Certificate2? leaf, X509Certificate2Collection? chain, X509Certificate2 serverCa, out Func<X509Certificate2?> serverCertificate) =>
        CreateAgentClient(AgentUrl, leaf, chain, serverCa, out serverCertificate);

    /// <summary>
    /// A client of any sidecar's agent listener (<paramref name="agentUrl"/>), presenting <paramref name="leaf"/> and
    /// verifying the sidecar against <paramref name="serverCa"/>; <paramref name="serverCertificate"/> tells what it showed.
    /// </summary>
    public static HttpClient CreateAgentClient(
        Uri agentUrl,
        X509Certificate2? leaf,
        X509Certificate2Collection? chain,
        X509Certificate2 serverCa,
        out Func<X509Certificate2?> serverCertificate)
    {
        X509Certificate2? seen = null;
        serverCertificate = () => seen;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = leaf is null
                    ? null
                    : SslStreamCertificateContext.Create(leaf, chain ?? [], offline: true),
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    seen = certificate is null ? null : new X509Certificate2(certificate);
                    return seen is not null && IsIssuedBy(seen, serverCa);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = agentUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Reads a problem document answer.</summary>
internal static class Problem
{
    public static async Task<(int Status, string? Code, JsonElement Body)> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, body.GetProperty("code").GetString(), body);
    }

    public static MediaTypeWithQualityHeaderValue Json => new("application/json");
}

using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using SidecarProxy.Approvals;
using SidecarProxy.Model;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Approvals;

/// <summary>
/// An <see cref="ApprovalBed"/> whose console is on, logging people in through a <see cref="TestOidcIssuer"/>
/// (a confidential client whose secret is a canary).
/// </summary>
internal sealed class ConsoleBed : IAsyncDisposable
{
    public const string ClientSecret = "console-client-secret-CANARY";

    private ConsoleBed(ApprovalBed approvals, TestOidcIssuer issuer)
    {
        Approvals = approvals;
        Issuer = issuer;
    }

    public ApprovalBed Approvals { get; }

    public TestOidcIssuer Issuer { get; }

    public Uri ConsoleUrl => Approvals.Admin.AdminUrl;

    public static async Task<ConsoleBed> StartAsync(ApprovalRequirement? requirement = null, Action<Dictionary<string, string?>>? configure = null)
    {
        var issuer = await TestOidcIssuer.StartAsync(ClientSecret);
        try
        {
            var approvals = await ApprovalBed.StartAsync(requirement, settings =>
            {
                settings["Sidecar:Approvals:Oidc:Authority"] = issuer.Issuer.ToString();
                settings["Sidecar:Approvals:Oidc:ClientId"] = TestOidcIssuer.ClientId;
                settings["Sidecar:Approvals:Oidc:ClientSecret"] = ClientSecret;
                configure?.Invoke(settings);
            });
            return new ConsoleBed(approvals, issuer);
        }
        catch
        {
            await issuer.DisposeAsync();
            throw;
        }
    }

    /// <summary>A browser without a client certificate that keeps cookies and follows no redirect by itself.</summary>
    public ConsoleBrowser Browser() => new(Approvals, Issuer);

    /// <summary>A browser presenting a fresh SVID of <paramref name="spiffeId"/> as its client certificate (sharing <paramref name="cookies"/> if given).</summary>
    public ConsoleBrowser Browser(string spiffeId, CookieContainer? cookies = null) => Approvals.Browser(spiffeId, cookies, Issuer);

    public async ValueTask DisposeAsync()
    {
        await Approvals.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}

/// <summary>
/// Drives the console like a browser does: cookies, redirects followed hop by hop across the sidecar and the issuer
/// (if there is one), and optionally a client certificate (as a browser with an admin's SVID installed).
/// </summary>
internal sealed partial class ConsoleBrowser : IDisposable
{
    private readonly Uri _consoleUrl;
    private readonly TestOidcIssuer? _oidc;
    private readonly HttpClient _sidecar;
    private readonly HttpClient _issuer;

    public ConsoleBrowser(ApprovalBed bed, TestOidcIssuer? issuer, X509Certificate2? clientCertificate = null, CookieContainer? cookies = null)
    {
        _consoleUrl = bed.Admin.AdminUrl;
        _oidc = issuer;
        Cookies = cookies ?? new CookieContainer();
        var ca = bed.Bed.Identity.ServerCa.Certificate;
        _sidecar = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = Cookies,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate, [], offline: true),
                RemoteCertificateValidationCallback = (_, c, _, _) => IsIssuedBy(c, ca),
            },
        })
        {
            BaseAddress = _consoleUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
        _issuer = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public CookieContainer Cookies { get; }

    /// <summary>Whether the browser holds a console session cookie.</summary>
    public bool HasSession => Cookies.GetCookies(_consoleUrl).Any(c => c.Name == ConsoleAuthentication.CookieName);

    public Task<HttpResponseMessage> GetAsync(string path) => _sidecar.GetAsync(new Uri(path, UriKind.Relative));

    public Task<HttpResponseMessage> PostAsync(string path, IDictionary<string, string> form) =>
        _sidecar.PostAsync(new Uri(path, UriKind.Relative), new FormUrlEncodedContent(form));

    /// <summary>
    /// Opens <paramref name="path"/> without a session and goes through the login: the sidecar's redirect to the
    /// issuer, the issuer's redirect back with a code, the callback. Returns the callback's response.
    /// </summary>
    public async Task<HttpResponseMessage> LoginAsync(string path = "/")
    {
        var oidc = _oidc ?? throw new InvalidOperationException("this console has no OpenID Connect issuer");
        using var start = await GetAsync(path);
        Assert.Equal(HttpStatusCode.Found, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.StartsWith(oidc.Issuer + "authorize?", authorize.ToString(), StringComparison.Ordinal);
        using var issuer = await _issuer.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Found, issuer.StatusCode);
        var callback = issuer.Headers.Location!;
        Assert.StartsWith(_consoleUrl + "console/signin-oidc?", callback.ToString(), StringComparison.Ordinal);
        return await _sidecar.GetAsync(callback);
    }

    /// <summary>Logs in and follows the login to its end; returns the HTML of <paramref name="path"/>.</summary>
    public async Task<string> LoginToAsync(string path = "/")
    {
        using var callback = await LoginAsync(path);
        Assert.True(callback.StatusCode == HttpStatusCode.Found, await callback.Content.ReadAsStringAsync());
        var next = callback.Headers.Location!.ToString();
        Assert.StartsWith("/console/continue?to=", next, StringComparison.Ordinal);
        var continuePage = await PageAsync(next);
        Assert.Contains($"url={WebUtility.HtmlEncode(path)}\"", continuePage, StringComparison.Ordinal);
        return await PageAsync(path);
    }

    /// <summary>GETs a page that must be 200 HTML; returns it.</summary>
    public async Task<string> PageAsync(string path)
    {
        using var response = await GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        return html;
    }

    /// <summary>Approves or denies through the console's form, with the page's antiforgery token.</summary>
    public async Task<HttpResponseMessage> DecideAsync(string id, bool approve, string comment = "ok from the console")
    {
        var page = await PageAsync("/approvals/" + id);
        return await PostAsync($"/approvals/{id}/{(approve ? "approve" : "deny")}", new Dictionary<string, string>
        {
            [ConsoleAuthentication.AntiforgeryField] = Csrf(page),
            ["comment"] = comment,
        });
    }

    public static string Csrf(string html) => WebUtility.HtmlDecode(CsrfField().Match(html).Groups[1].Value);

    public void Dispose()
    {
        _sidecar.Dispose();
        _issuer.Dispose();
    }

    private static bool IsIssuedBy(X509Certificate? certificate, X509Certificate2 ca)
    {
        if (certificate is null)
        {
            return false;
        }

        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    [GeneratedRegex("name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}

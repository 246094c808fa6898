using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.TestSupport;

/// <summary>
/// A small OpenID Connect issuer for tests, on http://127.0.0.1:0: discovery, JWKS, an authorize endpoint that
/// logs in <see cref="User"/> at once (no login form) and redirects back with a code, and a token endpoint that
/// checks the client, the redirect URI and the PKCE code_verifier before it returns an ES256-signed id_token with
/// the nonce of the authorization request. <see cref="Tamper"/> makes the next id_tokens wrong in one way.
/// </summary>
public sealed class TestOidcIssuer : IAsyncDisposable
{
    public const string ClientId = "sidecar-console";

    private readonly WebApplication _app;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _kid = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentQueue<string> _tokens = new();
    private int _tokensIssued;

    private TestOidcIssuer(WebApplication app, string? clientSecret)
    {
        _app = app;
        ClientSecret = clientSecret;
    }

    /// <summary>The issuer URL (also the Authority to configure), e.g. http://127.0.0.1:41234.</summary>
    public Uri Issuer { get; private set; } = null!;

    public string? ClientSecret { get; }

    /// <summary>Who logs in at the next authorization request.</summary>
    public TestPerson User { get; set; } = new("alice-sub", "Alice Approver", "alice@corp.example", ["approve"]);

    public OidcTamper Tamper { get; set; }

    /// <summary>id_tokens handed out by the token endpoint.</summary>
    public int TokensIssued => _tokensIssued;

    /// <summary>Every access_token and id_token handed out, so tests can prove none of them leaked.</summary>
    public IReadOnlyCollection<string> Tokens => _tokens;

    /// <summary>Why token requests were refused (e.g. "pkce"), in order.</summary>
    public IReadOnlyCollection<string> Failures => _failures;

    public static async Task<TestOidcIssuer> StartAsync(string? clientSecret = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var issuer = new TestOidcIssuer(app, clientSecret);
        app.MapGet("/.well-known/openid-configuration", issuer.DiscoveryAsync);
        app.MapGet("/jwks", issuer.JwksAsync);
        app.MapGet("/authorize", issuer.AuthorizeAsync);
        app.MapPost("/token", issuer.TokenAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        issuer.Issuer = new Uri(address.TrimEnd('/'));
        return issuer;
    }

    private string Base => Issuer.ToString().TrimEnd('/');

    private Task DiscoveryAsync(HttpContext context) => context.Response.WriteAsJsonAsync(new Dictionary<string, object>
    {
        ["issuer"] = Base,
        ["authorization_endpoint"] = Base + "/authorize",
        ["token_endpoint"] = Base + "/token",
        ["jwks_uri"] = Base + "/jwks",
        ["response_types_supported"] = new[] { "code" },
        ["subject_types_supported"] = new[] { "public" },
        ["id_token_signing_alg_values_supported"] = new[] { "ES256" },
        ["code_challenge_methods_supported"] = new[] { "S256" },
        ["scopes_supported"] = new[] { "openid", "profile", "email" },
    });

    private Task JwksAsync(HttpContext context)
    {
        var p = _key.ExportParameters(false);
        return context.Response.WriteAsJsonAsync(new
        {
            keys = new[]
            {
                new Dictionary<string, string>
                {
                    ["kty"] = "EC", ["crv"] = "P-256", ["use"] = "sig", ["alg"] = "ES256", ["kid"] = _kid,
                    ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
                },
            },
        });
    }

    private async Task AuthorizeAsync(HttpContext context)
    {
        var q = context.Request.Query;
        string Get(string name) => q[name].ToString();
        if (Get("response_type") != "code" || Get("client_id") != ClientId || Get("code_challenge_method") != "S256"
            || Get("code_challenge").Length == 0 || Get("nonce").Length == 0 || Get("state").Length == 0
            || !Get("scope").Split(' ').Contains("openid") || !Uri.TryCreate(Get("redirect_uri"), UriKind.Absolute, out var redirect))
        {
            _failures.Enqueue("authorize");
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("bad authorization request");
            return;
        }

        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
        _codes[code] = new Grant(redirect.ToString(), Get("code_challenge"), Get("nonce"), User);
        var separator = string.IsNullOrEmpty(redirect.Query) ? "?" : "&";
        context.Response.Redirect($"{redirect}{separator}code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(Get("state"))}");
    }

    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        string Get(string name) => form[name].ToString();
        var (clientId, secret) = (Get("client_id"), Get("client_secret"));
        if (context.Request.Headers.Authorization.ToString() is { } basic && basic.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(basic["Basic ".Length..])).Split(':', 2);
            (clientId, secret) = (Uri.UnescapeDataString(pair[0]), Uri.UnescapeDataString(pair[1]));
        }

        string? failure = null;
        if (Get("grant_type") != "authorization_code" || clientId != ClientId)
        {
            failure = "client";
        }
        else if (ClientSecret is not null && secret != ClientSecret)
        {
            failure = "client_secret";
        }
        else if (!_codes.TryRemove(Get("code"), out var grant))
        {
            failure = "code";
        }
        else if (grant.RedirectUri != Get("redirect_uri"))
        {
            failure = "redirect_uri";
        }
        else if (Get("code_verifier") is not { Length: >= 43 } verifier
            || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
        {
            failure = "pkce";
        }
        else
        {
            var accessToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
            var idToken = IdToken(grant, accessToken);
            _tokens.Enqueue(accessToken);
            _tokens.Enqueue(idToken);
            Interlocked.Increment(ref _tokensIssued);
            await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
            {
                ["access_token"] = accessToken,
                ["token_type"] = "Bearer",
                ["expires_in"] = 300,
                ["id_token"] = idToken,
            });
            return;
        }

        _failures.Enqueue(failure);
        context.Response.StatusCode = 400;
        await context.Response.WriteAsJsonAsync(new { error = "invalid_grant" });
    }

    private string IdToken(Grant grant, string accessToken)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = grant.User.Subject,
            ["nonce"] = Tamper == OidcTamper.WrongNonce ? "not-the-nonce" : grant.Nonce,
            ["name"] = grant.User.Name,
            ["email"] = grant.User.Email,
            ["preferred_username"] = grant.User.Email.Split('@')[0],
            ["roles"] = grant.User.Roles.ToArray(),
            ["at_hash"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken))[..16]),
        };
        var key = Tamper == OidcTamper.WrongSignature ? _otherKey : _key;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Tamper == OidcTamper.WrongIssuer ? "http://127.0.0.1:1/not-the-issuer" : Base,
            Audience = Tamper == OidcTamper.WrongAudience ? "another-client" : ClientId,
            IssuedAt = now,
            NotBefore = now.AddSeconds(-5),
            Expires = now.AddMinutes(5),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = _kid }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
        _otherKey.Dispose();
    }

    private sealed record Grant(string RedirectUri, string Challenge, string Nonce, TestPerson User);
}

/// <summary>A person the <see cref="TestOidcIssuer"/> logs in.</summary>
public sealed record TestPerson(string Subject, string Name, string Email, IReadOnlyList<string> Roles);

/// <summary>How the <see cref="TestOidcIssuer"/> spoils its id_tokens.</summary>
public enum OidcTamper
{
    None,
    WrongAudience,
    WrongIssuer,
    WrongSignature,
    WrongNonce,
}

using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using SidecarProxy.Admin;
using SidecarProxy.Revocation;

namespace SidecarProxy.Approvals;

/// <summary>
/// How people log in to the approval console: the ASP.NET Core OpenID Connect handler (authorization code flow,
/// PKCE, query response mode) signing in to a cookie session. Both schemes are used only by the console's
/// endpoints (<see cref="ConsoleEndpoints"/>), which authenticate explicitly: there is no default scheme and no
/// authentication middleware, so nothing of this runs for agents or the JSON admin API.
/// </summary>
internal static partial class ConsoleAuthentication
{
    public const string CookieScheme = "SidecarConsole";
    public const string OidcScheme = "SidecarConsoleOidc";
    public const string CallbackPath = "/console/signin-oidc";

    /// <summary>
    /// The session cookie. <c>__Host-</c>: the browser keeps it only when Secure, for this host and path /.
    /// </summary>
    public const string CookieName = "__Host-sidecar-console";

    public const string AntiforgeryCookieName = "__Host-sidecar-console-csrf";
    public const string AntiforgeryField = "__csrf";

    /// <summary>
    /// <c>Sidecar:Approvals:Oidc</c> with its validator; with the admin listener (where the console is served) the
    /// antiforgery of its forms; and with <c>Sidecar:Approvals:Oidc:Authority</c> the schemes of people's login.
    /// </summary>
    public static IServiceCollection AddSidecarApprovalConsole(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OidcOptions>()
            .Bind(configuration.GetSection(OidcOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OidcOptions>, OidcOptionsValidator>());
        var oidc = !string.IsNullOrEmpty(configuration[OidcOptions.SectionName + ":Authority"]);
        if (!oidc && string.IsNullOrEmpty(configuration[AdminOptions.SectionName + ":Listen"]))
        {
            return services;
        }

        // Keys for the session cookie, the OIDC state and the antiforgery tokens live in memory: nothing to leak on
        // disk, and a restart only logs people out (and makes open forms post again). Each sidecar of a fleet has its
        // own console sessions.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = AntiforgeryCookieName;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            o.Cookie.HttpOnly = true;
            o.FormFieldName = AntiforgeryField;
            o.HeaderName = null;

            // The console sets X-Frame-Options DENY itself (antiforgery would set SAMEORIGIN).
            o.SuppressXFrameOptionsHeader = true;
        });
        if (!oidc)
        {
            // Admin SPIFFE IDs only: they are signed in by their client certificate, with no login and no session.
            return services;
        }

        services.AddAuthentication()
            .AddCookie(CookieScheme, _ => { })
            .AddOpenIdConnect(OidcScheme, _ => { });
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<IOptions<OidcOptions>>((o, oidc) =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;

            // Never sent on a request another site starts: no cross-site POST carries the session (and the
            // antiforgery token is checked besides, see ConsoleEndpoints).
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Path = "/";
            o.ExpireTimeSpan = oidc.Value.SessionLifetime;
            o.SlidingExpiration = false;
        });
        services.AddOptions<OpenIdConnectOptions>(OidcScheme).Configure<IOptions<OidcOptions>, ILoggerFactory>(Configure);
        return services;
    }

    private static void Configure(OpenIdConnectOptions o, IOptions<OidcOptions> options, ILoggerFactory loggers)
    {
        var oidc = options.Value;
        if (oidc.Authority is not { } authority)
        {
            return;
        }

        var logger = loggers.CreateLogger(typeof(ConsoleAuthentication).FullName!);
        o.Authority = authority.ToString().TrimEnd('/');
        o.RequireHttpsMetadata = !OidcOptions.IsLoopbackHttp(authority);
        o.ClientId = oidc.ClientId;
        o.ClientSecret = oidc.ClientSecretFile is { } file && OidcClientSecret.TryRead(file, out var fromFile, out _)
            ? fromFile
            : oidc.ClientSecret;
        o.ResponseType = OpenIdConnectResponseType.Code;

        // The code comes back in the query of a top-level GET: no auto-submitting form (which would need a script).
        o.ResponseMode = OpenIdConnectResponseMode.Query;
        o.UsePkce = true;
        o.CallbackPath = CallbackPath;
        o.SignInScheme = CookieScheme;
        o.Scope.Clear();
        foreach (var scope in oidc.EffectiveScopes)
        {
            o.Scope.Add(scope);
        }

        // The console needs no token after login: none is kept in the cookie, and roles come from the id_token.
        o.SaveTokens = false;
        o.GetClaimsFromUserInfoEndpoint = false;
        o.MapInboundClaims = false;
        o.TokenValidationParameters.NameClaimType = ConsolePerson.NameClaim;
        o.TokenValidationParameters.RoleClaimType = oidc.RolesClaim;
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.Always;
        o.NonceCookie.SecurePolicy = CookieSecurePolicy.Always;
        o.Events = new OpenIdConnectEvents
        {
            OnTokenValidated = context =>
            {
                var principal = context.Principal!;
                var issuer = principal.FindFirst(ConsolePerson.IssuerClaim)?.Value ?? context.SecurityToken?.Issuer;
                var person = issuer is null ? null : ConsolePerson.FromIdToken(principal, issuer, oidc.RolesClaim);
                if (person is null)
                {
                    context.Fail("the id_token has no iss or sub claim");
                    return Task.CompletedTask;
                }

                context.Principal = person.ToPrincipal(CookieScheme);
                LogLoggedIn(logger, person.Id, person.Roles.Count);
                return Task.CompletedTask;
            },
            OnRemoteFailure = async context =>
            {
                // Only the failure's type: IdentityModel messages can quote token content.
                var reason = context.Failure?.GetType().Name ?? "unknown";
                LogLoginFailed(logger, reason);
                context.HttpContext.RequestServices.GetRequiredService<AdminAudit>()
                    .Refused(context.HttpContext, null, "console_login_failed", 403);
                context.HandleResponse();
                await ConsolePages.WriteMessageAsync(
                    context.HttpContext, 403, "Login failed",
                    "The identity provider's answer was not accepted, so you are not logged in. Try again from the console's start page.",
                    linkHome: true);
            },
            OnAccessDenied = async context =>
            {
                LogLoginFailed(logger, "access_denied");
                context.HandleResponse();
                await ConsolePages.WriteMessageAsync(
                    context.HttpContext, 403, "Login refused", "The identity provider refused the login.", linkHome: true);
            },
        };
    }

    /// <summary>Runs the OpenID Connect handler on its callback path (the one place it needs to see a request).</summary>
    public static async Task HandleCallbackAsync(HttpContext context)
    {
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        if (await handlers.GetHandlerAsync(context, OidcScheme) is not IAuthenticationRequestHandler handler
            || !await handler.HandleRequestAsync())
        {
            await ConsolePages.WriteMessageAsync(context, 404, "Not found", "There is nothing here.", linkHome: true);
        }
    }

    [LoggerMessage(EventId = 13101, Level = LogLevel.Information, Message = "Approval console: {Person} logged in with {RoleCount} sidecar role(s)")]
    private static partial void LogLoggedIn(ILogger logger, string person, int roleCount);

    [LoggerMessage(EventId = 13102, Level = LogLevel.Warning, Message = "Approval console: a login failed ({Reason})")]
    private static partial void LogLoginFailed(ILogger logger, string reason);
}

using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using SidecarProxy.Dev;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Hosting;

/// <summary>
/// Binds the sidecar's listeners: the agent mTLS endpoint, the admin mTLS endpoint when configured, the
/// plain-HTTP operations endpoint and, in
/// Development only, the demo upstream. Each connection is tagged with its <see cref="ListenerKind"/>.
/// </summary>
internal sealed class SidecarKestrelSetup(
    IOptions<SidecarOptions> options,
    IOptions<LimitsOptions> limits,
    AgentTlsHandshake handshake,
    SidecarListeners listeners,
    AgentConnectionRegistry connections,
    SidecarMetrics metrics,
    IHostEnvironment environment) : IConfigureOptions<KestrelServerOptions>
{
    // Read by Kestrel when it creates its options and HTTP/1.1 parser, so set before the host is built.
    private const string DisableLineFeedTerminators = "Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators";

    /// <summary>
    /// Makes Kestrel refuse a bare LF as an HTTP/1.1 line terminator (400), which it accepts by default (RFC 9112
    /// allows either): only CRLF frames a header line, so no two parsers can split a request differently. A
    /// process-wide switch; call before the host is built.
    /// </summary>
    public static void RequireCrLfLineTerminators() => AppContext.SetSwitch(DisableLineFeedTerminators, true);

    public void Configure(KestrelServerOptions kestrel)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        var sidecar = options.Value;
        kestrel.AddServerHeader = false;
        ApplyLimits(kestrel.Limits, limits.Value);

        Bind(kestrel, sidecar.Listen, "https", ListenerKind.Agent, ListenerFeature.Agent, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;

            // Registered before UseHttps, so it wraps the handshake and sees connections that never complete one.
            listen.Use(CountFailedHandshakes);
            listen.UseHttps(handshake.CreateOptions());
        }, TrackAgentConnection);
        if (sidecar.Admin.Listen is { } admin)
        {
            // Same handshake, trust bundles and SVID rules as agents; who may do what is checked per request.
            Bind(kestrel, admin, "https", ListenerKind.Admin, ListenerFeature.Admin, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(handshake.CreateOptions());
            });
        }

        Bind(kestrel, sidecar.Metrics.Listen, "http", ListenerKind.Operations, ListenerFeature.Operations, _ => { });
        if (environment.IsDevelopment() && sidecar.Dev.DemoUpstream is { } demo)
        {
            Bind(kestrel, demo, "http", ListenerKind.DemoUpstream, ListenerFeature.DemoUpstream, _ => { });
        }
    }

    // Explicit values, so the sidecar's limits do not move with Kestrel's defaults. Kestrel answers a request over
    // a header limit with 431 and drops a client that sends its headers or body too slowly; the body limit of a
    // request with a known length is enforced before forwarding by RequestFramingMiddleware (413 body_too_large).
    // The other limits (request line 8 KiB, 100 headers, HTTP/2 streams and frames) keep Kestrel's defaults.
    private static void ApplyLimits(KestrelServerLimits kestrel, LimitsOptions limits)
    {
        kestrel.MaxRequestBodySize = limits.MaxRequestBodySize;
        kestrel.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalSize;
        kestrel.Http2.MaxRequestHeaderFieldSize = Math.Min(kestrel.Http2.MaxRequestHeaderFieldSize, limits.MaxRequestHeadersTotalSize);
        kestrel.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        kestrel.KeepAliveTimeout = limits.KeepAliveTimeout;
        kestrel.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyDataRate, limits.MinRequestBodyDataRateGracePeriod);
    }

    // Kestrel's HTTPS middleware logs a failed handshake (at Debug) and closes the connection without calling the
    // rest of the connection pipeline, so a connection that ends without the listener tag (set right after the
    // handshake, see Bind) never completed one. A spike here with no requests behind it usually means agents that
    // no longer trust the sidecar's certificate.
    private ConnectionDelegate CountFailedHandshakes(ConnectionDelegate next) => async connection =>
    {
        try
        {
            await next(connection);
        }
        finally
        {
            if (connection.Features.Get<IListenerFeature>() is null)
            {
                metrics.TlsHandshakeFailures.Inc();
            }
        }
    };

    // Runs for the whole life of a connection: registered after the handshake, removed when it closes.
    private ConnectionDelegate TrackAgentConnection(ConnectionDelegate next) => async connection =>
    {
        var identity = connection.Features.Get<IPeerIdentityFeature>()?.Result.Identity;
        if (identity is null)
        {
            await next(connection);
            return;
        }

        using var registration = connections.Register(identity.SpiffeId, connection);
        await next(connection);
    };

    private void Bind(
        KestrelServerOptions kestrel,
        string url,
        string scheme,
        ListenerKind kind,
        IListenerFeature feature,
        Action<ListenOptions> configure,
        Func<ConnectionDelegate, ConnectionDelegate>? connectionMiddleware = null)
    {
        // Validated at start-up; a failure here means validation was bypassed.
        if (!ListenAddress.TryParse(url, scheme, out var address))
        {
            throw new InvalidOperationException($"invalid {kind} listen address '{url}'");
        }

        kestrel.Listen(new IPEndPoint(address!.Address, address.Port), listen =>
        {
            configure(listen);

            // Registered after UseHttps, so it runs once the handshake (and SVID validation) is done.
            listen.Use(next => connection =>
            {
                connection.Features.Set(feature);
                return next(connection);
            });
            if (connectionMiddleware is not null)
            {
                listen.Use(connectionMiddleware);
            }

            listeners.Add(kind, listen);
        });
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Identity;

/// <summary>
/// Builds the TLS options of each agent connection from the identity snapshot current at that moment, so
/// rotated certificates and bundles apply to new handshakes while open connections keep theirs.
/// The client certificate is validated here, once per connection, and the outcome is stored on the
/// connection; the handshake itself always succeeds when a certificate problem is the only problem, so the
/// agent gets a 401 problem document with the exact code instead of an opaque TLS alert.
/// </summary>
internal sealed class AgentTlsHandshake(
    IIdentityMaterialSource source,
    X509SvidValidator validator,
    ILogger<AgentTlsHandshake> logger)
{
    private readonly ConditionalWeakTable<IdentityMaterial, SslStreamCertificateContext> _contexts = [];

    public TlsHandshakeCallbackOptions CreateOptions() => new()
    {
        OnConnection = OnConnection,
        HandshakeTimeout = TimeSpan.FromSeconds(10),
    };

    [SuppressMessage("Security", "CA5359:Do Not Disable Certificate Validation", Justification = "The client SVID is validated in the callback by X509SvidValidator per SPIFFE rules, against the bundle of its trust domain, so the framework's chain check must not decide; the outcome is stored on the connection and AgentIdentityMiddleware refuses a failed one with its exact denial code.")]
    private ValueTask<SslServerAuthenticationOptions> OnConnection(TlsHandshakeCallbackContext context)
    {
        var material = source.Current;
        if (material is null)
        {
            // Kestrel aborts the connection: without a certificate there is nothing safe to offer.
            IdentityLog.NoIdentityMaterial(logger);
            throw new InvalidOperationException("identity material not loaded");
        }

        var connection = context.Connection;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _contexts.GetValue(material, CreateContext),
            ClientCertificateRequired = true,

            // The identity is fixed at the handshake; a TLS 1.2 renegotiation must not swap it mid-connection.
            AllowRenegotiation = false,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,

            // SslStream builds a chain of its own before calling us; keep it cheap and offline.
            // The real verification, against the right trust domain's bundle, happens in the callback.
            CertificateChainPolicy = new X509ChainPolicy
            {
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
                TrustMode = X509ChainTrustMode.CustomRootTrust,
            },
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                var result = validator.Validate(
                    certificate as X509Certificate2, chain?.ChainPolicy.ExtraStore, material.Bundles);
                connection.Features.Set<IPeerIdentityFeature>(new PeerIdentityFeature(result));
                if (result.Identity is { } identity)
                {
                    if (logger.IsEnabled(LogLevel.Debug))
                    {
                        var spiffeId = identity.SpiffeId.ToString();
                        IdentityLog.AgentAuthenticated(logger, spiffeId, connection.ConnectionId, identity.CertificateFingerprint);
                    }
                }
                else
                {
                    IdentityLog.AgentRejected(logger, connection.ConnectionId, result.Failure!.Value, result.Detail);
                }

                return true;
            },
        };
        return ValueTask.FromResult(options);
    }

    private static SslStreamCertificateContext CreateContext(IdentityMaterial material) =>
        SslStreamCertificateContext.Create(material.ServerCertificate, material.ServerChain, offline: true);
}

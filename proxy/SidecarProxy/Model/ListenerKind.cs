using SidecarProxy.Dev;


namespace SidecarProxy.Model;

/// <summary>Which Kestrel endpoint a connection arrived on. Endpoints are bound to exactly one kind.</summary>
internal enum ListenerKind
{
    /// <summary>The agent-facing mTLS endpoint; only tool routes answer here.</summary>
    Agent,

    /// <summary>The plain-HTTP operations endpoint: /healthz, /readyz, /metrics.</summary>
    Operations,

    /// <summary>The Development-only echo upstream behind the demo tool.</summary>
    DemoUpstream,

    /// <summary>The admin mTLS endpoint (<c>Sidecar:Admin:Listen</c>); only the admin API answers here.</summary>
    Admin,
}

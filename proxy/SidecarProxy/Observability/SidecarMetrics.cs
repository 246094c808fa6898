using System.Reflection;
using Prometheus;
using SidecarProxy.Model;

namespace SidecarProxy.Observability;

/// <summary>
/// Every Prometheus metric the sidecar exports, declared in one place. Each instance owns its own
/// <see cref="CollectorRegistry"/> so that several sidecars in one process (tests) never share counts.
/// Label values are bounded: tool ids and provider names come from configuration, reasons from the
/// closed set of denial codes; SPIFFE IDs and task ids are never labels.
/// </summary>
internal sealed class SidecarMetrics
{
    public const string ToolLabel = "tool";
    public const string DecisionLabel = "decision";
    public const string StatusLabel = "status";
    public const string ReasonLabel = "reason";
    public const string EngineLabel = "engine";
    public const string ProviderLabel = "provider";
    public const string CacheLabel = "cache";
    public const string SourceLabel = "source";
    public const string TrustDomainLabel = "trust_domain";
    public const string RevisionLabel = "revision";
    public const string CodeLabel = "code";
    public const string StageLabel = "stage";
    public const string ActionLabel = "action";
    public const string OutcomeLabel = "outcome";
    public const string MethodLabel = "method";

    /// <summary>The notifications the sidecar itself writes to MCP clients (<see cref="McpNotifications"/>), pre-created at zero.</summary>
    public static readonly IReadOnlyList<string> McpNotificationMethods =
    [
        "notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed",
        "notifications/elicitation/complete",
    ];

    /// <summary>The outcomes of <see cref="ApprovalDecisions"/>, pre-created at zero.</summary>
    public static readonly IReadOnlyList<string> ApprovalOutcomes = ["approved", "denied", "expired", "withdrawn", "cancelled"];

    /// <summary>The reasons of <see cref="ApprovalWebhookFailures"/>, pre-created at zero.</summary>
    public static readonly IReadOnlyList<string> ApprovalWebhookFailureReasons = ["status", "timeout", "network", "secret_unavailable", "queue_full"];

    /// <summary>Human decision times: one second to two hours.</summary>
    public static readonly double[] ApprovalBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

    /// <summary>
    /// Latency buckets from 5 µs to 10 s. An embedded policy decision or a credential cache hit takes
    /// microseconds, an OPA round trip or a token endpoint call takes milliseconds, and a slow tool
    /// takes seconds: one ladder (roughly 1-2.5-5 per decade) resolves all three, so the same
    /// histogram_quantile works on every latency metric and the p99 alert has a bucket near 1 ms.
    /// </summary>
    public static readonly double[] LatencyBuckets =
    [
        0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ];

    /// <summary>
    /// The values of <c>sidecar_policy_eval_errors_total</c>'s code label that exist at zero from the start: the
    /// embedded engine's evaluation error codes, an unusable decision, and an engine fault (OPA unreachable, ...).
    /// </summary>
    public static readonly string[] PolicyEvalErrorCodes =
    [
        "eval_conflict_error", "eval_type_error", "eval_builtin_error", "eval_cancel_error", "eval_internal_error",
        "rego_recursion_error", "decision_invalid", "engine_unavailable",
    ];

    /// <summary>
    /// Buckets of fleet revocation propagation, from 1 ms (a pub/sub announcement on a LAN) to 5 min (a sidecar that
    /// was cut off from Redis and caught up by reconciling); 1 s, the propagation objective, is a bucket bound.
    /// </summary>
    public static readonly double[] PropagationBuckets =
    [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
    ];

    public SidecarMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);

        // By default prometheus-net asks the current trace context for an exemplar on every observation; the sidecar
        // exports no exemplars (no tracing, text format), so the lookup would be wasted on the request path.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();

        Requests = factory.CreateCounter(
            "sidecar_requests_total",
            "Agent requests handled, by tool, decision (allow, deny, error: the sidecar could not decide or serve, aborted: the client went away) and HTTP status returned to the agent.",
            ToolLabel, DecisionLabel, StatusLabel);
        Denials = factory.CreateCounter(
            "sidecar_denials_total",
            "Requests refused, or failed at a dependency or the tool (the *_unavailable, upstream_* codes), by code (the problem document's code).",
            ReasonLabel);
        RequestDuration = factory.CreateHistogram(
            "sidecar_request_duration_seconds",
            "Time from the request reaching the pipeline to the response, by tool.",
            new HistogramConfiguration { LabelNames = [ToolLabel], Buckets = LatencyBuckets });
        PolicyDecisionDuration = factory.CreateHistogram(
            "sidecar_policy_decision_duration_seconds",
            "Time to obtain a policy decision, by engine (embedded, opa).",
            new HistogramConfiguration { LabelNames = [EngineLabel], Buckets = LatencyBuckets });
        UpstreamDuration = factory.CreateHistogram(
            "sidecar_upstream_duration_seconds",
            "Time spent forwarding to the tool and receiving its response headers, by tool.",
            new HistogramConfiguration { LabelNames = [ToolLabel], Buckets = LatencyBuckets });
        CredentialsIssued = factory.CreateCounter(
            "sidecar_credentials_issued_total",
            "Credentials injected, by provider and whether the cache answered (hit, miss).",
            ProviderLabel, CacheLabel);
        CredentialIssueDuration = factory.CreateHistogram(
            "sidecar_credential_issue_duration_seconds",
            "Time to obtain a credential (cache hit or fetch), by provider.",
            new HistogramConfiguration { LabelNames = [ProviderLabel], Buckets = LatencyBuckets });
        CredentialFailures = factory.CreateCounter(
            "sidecar_credential_failures_total",
            "Credential fetches that failed (the request was refused), by provider.",
            ProviderLabel);
        SvidRejections = factory.CreateCounter(
            "sidecar_svid_rejections_total",
            "Agent connections or requests refused by mTLS / X.509-SVID validation, by reason.",
            ReasonLabel);
        TlsHandshakeFailures = factory.CreateCounter(
            "sidecar_tls_handshake_failures_total",
            "Agent connections closed before a TLS handshake completed: protocol or cipher mismatch, handshake "
            + "timeout, an agent that does not trust the sidecar's certificate, or a bare TCP probe.");
        PolicyReloads = factory.CreateCounter(
            "sidecar_policy_reloads_total",
            "Policy loads that took effect (start-up and reloads).");
        PolicyReloadFailures = factory.CreateCounter(
            "sidecar_policy_reload_failures_total",
            "Policy reloads rejected (parse or compile errors); the last good policy stayed in force.");
        IdentityReloadFailures = factory.CreateCounter(
            "sidecar_identity_reload_failures_total",
            "Identity material updates rejected (corrupt certificate, key or bundle); the last good one stayed.",
            SourceLabel);
        PolicyRevision = factory.CreateGauge(
            "sidecar_policy_revision_info",
            "The policy revision in force (value is always 1).",
            EngineLabel, RevisionLabel);
        ServerCertificateExpiry = factory.CreateGauge(
            "sidecar_server_certificate_expiry_seconds",
            "Seconds until the sidecar's own serving certificate expires (negative once expired).");
        TrustBundleExpiry = factory.CreateGauge(
            "sidecar_trust_bundle_expiry_seconds",
            "Seconds until the first certificate of each trust bundle expires, by trust domain.",
            TrustDomainLabel);
        AuditDropped = factory.CreateCounter(
            "sidecar_audit_records_dropped_total",
            "Audit records dropped because the writer could not keep up.");
        RevocationsActive = factory.CreateGauge(
            "sidecar_revocations_active",
            "Revocation records in force, by action (revoke, quarantine).",
            "action");
        RevocationConnectionsClosed = factory.CreateCounter(
            "sidecar_revocation_connections_closed_total",
            "Open agent connections closed because their identity was revoked.");
        AuditWriteFailures = factory.CreateCounter(
            "sidecar_audit_records_failed_total",
            "Audit records lost because writing them to the destination failed (disk full, unwritable, closed).");
        AuditUnavailable = factory.CreateCounter(
            "sidecar_audit_unavailable_total",
            "Agent requests that arrived while the audit trail could not take their record (queue full or destination "
            + "failing), by what Sidecar:Audit:OnFailure did: deny (refused with audit_unavailable) or serve (served anyway).",
            ActionLabel);
        PolicyEvalErrors = factory.CreateCounter(
            "sidecar_policy_eval_errors_total",
            "Policy evaluations that failed (the request was refused with policy_unavailable), by error code: the Rego "
            + "engine's (eval_conflict_error, eval_cancel_error for a timeout, ...), decision_invalid, or engine_unavailable.",
            CodeLabel);
        ClientAborts = factory.CreateCounter(
            "sidecar_client_aborts_total",
            "Agent requests abandoned by the client (connection or stream closed) before the sidecar answered, by the "
            + "stage that noticed (policy, pipeline). Not server errors: no 500, no error log.",
            StageLabel);
        ApprovalsPending = factory.CreateGauge(
            "sidecar_approvals_pending",
            "Approvals waiting for approvers, computed at scrape time.");
        ApprovalDecisions = factory.CreateCounter(
            "sidecar_approval_decisions_total",
            "Approvals that reached an outcome: approved, denied, expired, withdrawn (the held agent left), cancelled (revoked).",
            OutcomeLabel);
        ApprovalDecisionDuration = factory.CreateHistogram(
            "sidecar_approval_decision_duration_seconds",
            "Time from an approval's request to its approval or denial, by outcome (approved, denied).",
            new HistogramConfiguration { LabelNames = [OutcomeLabel], Buckets = ApprovalBuckets });
        McpNotifications = factory.CreateCounter(
            "sidecar_mcp_notifications_total",
            "JSON-RPC notifications the sidecar itself wrote to MCP clients (not the servers' own), by method.",
            MethodLabel);
        ApprovalsHeld = factory.CreateGauge(
            "sidecar_approval_held_requests",
            "Agent requests held open (hold mode) waiting for an approval decision.");
        ApprovalStoreUp = factory.CreateGauge(
            "sidecar_approval_store_up",
            "1 while the shared approval store (Redis) is connected, 0 while it is not. Only with Sidecar:Approvals:Redis.",
            new GaugeConfiguration { SuppressInitialValue = true });
        ApprovalStoreErrors = factory.CreateCounter(
            "sidecar_approval_store_errors_total",
            "Approval store operations that failed because Redis was unreachable or failing (the request was refused, the decision answered 503).");
        ApprovalWebhookDeliveries = factory.CreateCounter(
            "sidecar_approval_webhook_deliveries_total",
            "Approval events delivered to Sidecar:Approvals:Webhook (a 2xx answer).");
        ApprovalWebhookFailures = factory.CreateCounter(
            "sidecar_approval_webhook_failures_total",
            "Approval events not delivered, by reason: status (non-2xx after the last attempt), timeout, network, "
            + "secret_unavailable (the signing secret could not be read), queue_full (dropped before any attempt).",
            ReasonLabel);
        RevocationPropagation = factory.CreateHistogram(
            "sidecar_revocation_propagation_seconds",
            "Time from a fleet revocation's created_at (on the sidecar that made it) to its enforcement here, by how it "
            + "arrived (pubsub: the announcement, reconcile: a resync with the Redis set). Clock skew between hosts adds to it.",
            new HistogramConfiguration { LabelNames = ["via"], Buckets = PropagationBuckets });
        RevocationFleetChanges = factory.CreateCounter(
            "sidecar_revocation_fleet_changes_applied_total",
            "Revocation changes made on other sidecars and applied here, by type (created, lifted, expired).",
            "type");
        RevocationStoreUp = factory.CreateGauge(
            "sidecar_revocation_store_up",
            "1 while the fleet revocation store (Redis) answers, 0 while it does not. Only with Sidecar:Revocations:Redis.");
        RevocationStoreStaleness = factory.CreateGauge(
            "sidecar_revocation_store_staleness_seconds",
            "Seconds since the last successful sync with the fleet revocation store (a reconcile or a heartbeat).");
        RevocationStoreMaxStaleness = factory.CreateGauge(
            "sidecar_revocation_store_max_staleness_seconds",
            "Sidecar:Revocations:MaxStaleness: past it the revocation list counts as stale (readyz degraded, OnStale applies).");
        RevocationStoreReconciles = factory.CreateCounter(
            "sidecar_revocation_store_reconciles_total",
            "Full resyncs with the fleet revocation store, by result (ok, error).",
            "result");
        TokenRevocations = factory.CreateCounter(
            "sidecar_token_revocations_total",
            "Cached tokens of revoked agents or tasks revoked at their issuer (RFC 7009), by provider and outcome "
            + "(revoked, rejected: the issuer refused, failed: retries exhausted, dropped: queue full or shutdown).",
            ProviderLabel, "outcome");
        BuildInfo = factory.CreateGauge(
            "sidecar_build_info",
            "Build information (value is always 1).",
            "version", "runtime");

        var version = typeof(SidecarMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        BuildInfo.WithLabels(version, Environment.Version.ToString()).Set(1);
    }

    public CollectorRegistry Registry { get; }

    public Counter Requests { get; }

    public Counter Denials { get; }

    public Histogram RequestDuration { get; }

    public Histogram PolicyDecisionDuration { get; }

    public Histogram UpstreamDuration { get; }

    public Counter CredentialsIssued { get; }

    public Histogram CredentialIssueDuration { get; }

    public Counter CredentialFailures { get; }

    public Counter SvidRejections { get; }

    public Counter TlsHandshakeFailures { get; }

    public Counter PolicyReloads { get; }

    public Counter PolicyReloadFailures { get; }

    public Counter IdentityReloadFailures { get; }

    public Gauge PolicyRevision { get; }

    public Gauge ServerCertificateExpiry { get; }

    public Gauge TrustBundleExpiry { get; }

    public Counter AuditDropped { get; }

    public Gauge RevocationsActive { get; }

    public Counter RevocationConnectionsClosed { get; }
    public Counter AuditWriteFailures { get; }

    public Counter AuditUnavailable { get; }

    public Counter PolicyEvalErrors { get; }

    public Counter ClientAborts { get; }

    public Gauge ApprovalsPending { get; }

    public Counter ApprovalDecisions { get; }

    public Histogram ApprovalDecisionDuration { get; }

    public Gauge ApprovalsHeld { get; }

    /// <summary>Notifications the sidecar writes on MCP streams; the method label is one of <see cref="McpNotificationMethods"/>.</summary>
    public Counter McpNotifications { get; }

    public Gauge ApprovalStoreUp { get; }

    public Counter ApprovalStoreErrors { get; }

    public Counter ApprovalWebhookDeliveries { get; }

    public Counter ApprovalWebhookFailures { get; }

    public Histogram RevocationPropagation { get; }

    public Counter RevocationFleetChanges { get; }

    public Gauge RevocationStoreUp { get; }

    public Gauge RevocationStoreStaleness { get; }

    public Gauge RevocationStoreMaxStaleness { get; }

    public Counter RevocationStoreReconciles { get; }

    public Counter TokenRevocations { get; }

    public Gauge BuildInfo { get; }

    /// <summary>
    /// Creates the series that alerts and dashboards rely on at zero, so a rate() over them is
    /// defined before the first event (prometheus-net only exports a labelled series once touched).
    /// </summary>
    public void PreTouch(IEnumerable<string> denialCodes, IEnumerable<string> tools, IEnumerable<string> providers)
    {
        ArgumentNullException.ThrowIfNull(denialCodes);
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(providers);
        foreach (var code in denialCodes)
        {
            Denials.WithLabels(code);
            if (code.StartsWith("svid_", StringComparison.Ordinal))
            {
                SvidRejections.WithLabels(code);
            }
        }

        foreach (var code in PolicyEvalErrorCodes)
        {
            PolicyEvalErrors.WithLabels(code);
        }

        AuditUnavailable.WithLabels("deny");
        AuditUnavailable.WithLabels("serve");
        ClientAborts.WithLabels("policy");
        ClientAborts.WithLabels("pipeline");
        foreach (var outcome in ApprovalOutcomes)
        {
            ApprovalDecisions.WithLabels(outcome);
        }

        foreach (var method in McpNotificationMethods)
        {
            McpNotifications.WithLabels(method);
        }

        ApprovalDecisionDuration.WithLabels("approved");
        ApprovalDecisionDuration.WithLabels("denied");
        foreach (var reason in ApprovalWebhookFailureReasons)
        {
            ApprovalWebhookFailures.WithLabels(reason);
        }

        foreach (var provider in providers)
        {
            CredentialFailures.WithLabels(provider);
            CredentialsIssued.WithLabels(provider, "hit");
            CredentialsIssued.WithLabels(provider, "miss");
        }

        foreach (var tool in tools)
        {
            Requests.WithLabels(tool, Verdicts.Allow, "200");
            RequestDuration.WithLabels(tool);
            UpstreamDuration.WithLabels(tool);
        }
    }
}

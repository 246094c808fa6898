using SidecarProxy.Credentials;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using Yarp.ReverseProxy.Transforms;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Transforms;

/// <summary>
/// Sets exactly the provider's header with a just-in-time credential for this agent, task and tool, scoped
/// and bounded by the policy decision. Runs after the agent's credentials were stripped. When no credential
/// can be had it answers <c>credential_unavailable</c> (502 or 503) itself, so YARP does not forward.
/// </summary>
internal sealed class InjectCredentialTransform(
    string providerName,
    CredentialTarget target,
    CredentialBroker broker,
    DenialResponder denials,
    SidecarMetrics metrics,
    TimeProvider time) : RequestTransform
{
    public const string CredentialErrorMember = "credential_error";

    // One transform per route, one provider per transform: its labelled series are resolved once.
    private readonly Prometheus.Histogram.Child _issueDuration = metrics.CredentialIssueDuration.WithLabels(providerName);
    private readonly Prometheus.Counter.Child _hits = metrics.CredentialsIssued.WithLabels(providerName, "hit");
    private readonly Prometheus.Counter.Child _misses = metrics.CredentialsIssued.WithLabels(providerName, "miss");
    private readonly Prometheus.Counter.Child _failures = metrics.CredentialFailures.WithLabels(providerName);

    public override async ValueTask ApplyAsync(RequestTransformContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;

        // An earlier transform (no decision) already answered: YARP will not forward, and no credential is needed.
        if (http.Response.HasStarted || http.Response.StatusCode != 200)
        {
            return;
        }

        var decision = http.Features.Get<IPolicyDecisionFeature>()?.Decision;
        if (decision is not { Allowed: true })
        {
            await denials.DenyAsync(http, DenialCode.PolicyUnavailable, "no policy decision for this request");
            return;
        }

        var task = http.Features.Get<ITaskContextFeature>()?.Task;
        var request = new CredentialRequest(
            http.GetPeerIdentity().SpiffeId.ToString(), task?.Id, task?.ExpiresAt, http.GetTool().Id, decision.Scopes, decision.CredentialTtl)
        {
            Resource = target.Resource,
            Audience = target.Audience,
        };
        var started = time.GetTimestamp();
        IssuedCredential credential;
        try
        {
            credential = await broker.GetAsync(providerName, request, http.RequestAborted);
        }
        catch (CredentialUnavailableException ex)
        {
            _issueDuration.Observe(time.GetElapsedTime(started).TotalSeconds);
            _failures.Inc();

            // The exception's message is written to be safe for a problem document (no secret, no upstream body).
            await denials.DenyAsync(
                http, DenialCode.CredentialUnavailable, ex.Message, ex.StatusCode,
                new Dictionary<string, string>(1) { [CredentialErrorMember] = ex.Code });
            return;
        }

        _issueDuration.Observe(time.GetElapsedTime(started).TotalSeconds);
        (credential.CacheHit ? _hits : _misses).Inc();
        if (http.FindOutcome() is { } outcome)
        {
            outcome.Credential = credential.ToIssue();
        }

        RemoveHeader(context, credential.HeaderName);
        context.ProxyRequest.Headers.TryAddWithoutValidation(credential.HeaderName, credential.HeaderValue);
    }
}

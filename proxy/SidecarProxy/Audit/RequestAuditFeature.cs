using SidecarProxy.Credentials;
using SidecarProxy.Denials;
using SidecarProxy.Model;

namespace SidecarProxy.Audit;

/// <summary>
/// What later stages tell the audit about one request (the denial, the injected credential), collected while
/// the request runs and written as one record when it ends. Holds no secret: the credential's value is
/// never copied into the record, only its fingerprint.
/// </summary>
internal sealed class RequestAuditFeature
{
    /// <summary>The first denial of the request (later ones cannot happen: a denial ends the pipeline).</summary>
    public DenialCode? Denial { get; set; }

    public IssuedCredential? Credential { get; set; }

    /// <summary>The client abandoned the request before it was answered: audited as <c>aborted</c>.</summary>
    public bool Aborted { get; set; }

    /// <summary>Why the task grant was refused (<c>task_grant_expired</c>, ...): the problem's <c>grant_error</c>.</summary>
    public string? GrantError { get; set; }

    /// <summary>The task id a refused grant claims; unverified, written as <c>task_id</c> beside <see cref="GrantError"/>.</summary>
    public string? ClaimedTaskId { get; set; }
}

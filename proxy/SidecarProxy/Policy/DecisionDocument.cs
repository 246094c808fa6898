using System.Collections.ObjectModel;
using SidecarProxy.Approvals;
using SidecarProxy.Model;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy;

/// <summary>
/// The policy's answer as DESIGN.md defines it: a boolean, or an object with <c>allowed</c> and optional
/// <c>reason</c>, <c>credential.scopes</c>, <c>credential.ttl_seconds</c>, <c>require_approval</c>,
/// <c>approval</c> (see <see cref="ApprovalRequirement"/>), <c>headers</c>, <c>request_headers_to_remove</c>, <c>http_status</c>, <c>body</c> and <c>contain</c>.
/// Parsing is strict: a field of the wrong type makes the whole decision invalid (and so a denial).
/// </summary>
internal static class DecisionDocument
{
    // What a failed parse hands back (callers look at the error, never at it): one shared denial, not one per call.
    private static readonly PolicyDecision Unparsed = PolicyDecision.Deny(string.Empty);

    /// <summary>Parses a decision value. Returns false with an error that names the offending field (never its value).</summary>
    public static bool TryParse(RegoValue? value, out PolicyDecision decision, out string error) =>
        TryParse(value, new DecisionProvenance(null, null), out decision, out error);

    /// <summary>
    /// Parses a decision value into a decision that carries the engine's <paramref name="provenance"/> (decision id,
    /// policy revision), built once rather than copied.
    /// </summary>
    public static bool TryParse(RegoValue? value, DecisionProvenance provenance, out PolicyDecision decision, out string error)
    {
        decision = Unparsed;
        error = string.Empty;
        switch (value)
        {
            case null:
                error = "the decision is undefined";
                return false;
            case RegoBoolean b:
                decision = new PolicyDecision { Allowed = b.Value, DecisionId = provenance.DecisionId, PolicyRevision = provenance.Revision };
                return true;
            case RegoObject o:
                return TryParseObject(o, provenance, out decision, out error);
            default:
                error = $"the decision is a {value.TypeName}, not a boolean or an object";
                return false;
        }
    }

    private static bool TryParseObject(RegoObject o, DecisionProvenance provenance, out PolicyDecision decision, out string error)
    {
        decision = Unparsed;
        error = string.Empty;

        if (!o.TryGetValue("allowed", out var allowedValue) || allowedValue is not RegoBoolean allowed)
        {
            error = "decision.allowed must be a boolean";
            return false;
        }

        string? reason = null;
        if (o.TryGetValue("reason", out var r))
        {
            if (r is not RegoString rs)
            {
                error = "decision.reason must be a string";
                return false;
            }

            reason = rs.Value;
        }

        IReadOnlyList<string> scopes = [];
        int? ttl = null;
        if (o.TryGetValue("credential", out var c))
        {
            if (c is not RegoObject credential)
            {
                error = "decision.credential must be an object";
                return false;
            }

            if (credential.TryGetValue("scopes", out var s) && !TryStrings(s, out scopes))
            {
                error = "decision.credential.scopes must be an array of strings";
                return false;
            }

            if (credential.TryGetValue("ttl_seconds", out var t))
            {
                if (t is not RegoNumber n || !n.TryGetInt32(out var seconds) || seconds < 0)
                {
                    error = "decision.credential.ttl_seconds must be a non-negative integer";
                    return false;
                }

                ttl = seconds;
            }
        }

        var requireApproval = false;
        if (o.TryGetValue("require_approval", out var ra))
        {
            if (ra is not RegoBoolean rab)
            {
                error = "decision.require_approval must be a boolean";
                return false;
            }

            requireApproval = rab.Value;
        }

        ApprovalRequirement? approval = null;
        if (o.TryGetValue("approval", out var ap) && ap is not RegoNull)
        {
            if (!ApprovalRequirement.TryParse(ap, out var parsed, out error))
            {
                return false;
            }

            approval = parsed;
        }

        IReadOnlyDictionary<string, string> headers = ReadOnlyDictionary<string, string>.Empty;
        if (o.TryGetValue("headers", out var h))
        {
            if (h is not RegoObject headerObject)
            {
                error = "decision.headers must be an object of strings";
                return false;
            }

            var added = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            headers = added;
            foreach (var (k, v) in headerObject.Entries)
            {
                if (k is not RegoString ks || v is not RegoString vs || !IsHeaderName(ks.Value) || !IsHeaderValue(vs.Value))
                {
                    error = "decision.headers must be an object of valid header names and string values";
                    return false;
                }

                added[ks.Value] = vs.Value;
            }
        }

        IReadOnlyList<string> remove = [];
        if (o.TryGetValue("request_headers_to_remove", out var rm) && !TryStrings(rm, out remove))
        {
            error = "decision.request_headers_to_remove must be an array of strings";
            return false;
        }

        int? status = null;
        if (o.TryGetValue("http_status", out var hs))
        {
            if (hs is not RegoNumber hn || !hn.TryGetInt32(out var code) || code < 100 || code > 599)
            {
                error = "decision.http_status must be an integer between 100 and 599";
                return false;
            }

            status = code;
        }

        string? body = null;
        if (o.TryGetValue("body", out var b))
        {
            if (b is not RegoString bs)
            {
                error = "decision.body must be a string";
                return false;
            }

            body = bs.Value;
        }

        PolicyContainment? contain = null;
        if (o.TryGetValue("contain", out var ct) && !TryContainment(ct, out contain, out error))
        {
            return false;
        }

        decision = new PolicyDecision
        {
            Allowed = allowed.Value,
            Reason = reason,
            Scopes = scopes,
            CredentialTtl = ttl is { } ttlSeconds ? TimeSpan.FromSeconds(ttlSeconds) : null,
            RequireApproval = requireApproval,
            Approval = approval,
            HeadersToAdd = headers,
            HeadersToRemove = remove,
            HttpStatus = status,
            Body = body,
            Contain = contain,
            DecisionId = provenance.DecisionId,
            PolicyRevision = provenance.Revision,
        };
        return true;
    }

    // {"scope": "task"|"identity", "action": "revoke"|"quarantine", "reason": "..."}: every member required, nothing else.
    private static bool TryContainment(RegoValue value, out PolicyContainment? contain, out string error)
    {
        contain = null;
        error = "decision.contain must be an object {\"scope\": \"task\"|\"identity\", \"action\": \"revoke\"|\"quarantine\", \"reason\": string}";
        if (value is not RegoObject o)
        {
            return false;
        }

        foreach (var (k, _) in o.Entries)
        {
            if (k is not RegoString { Value: "scope" or "action" or "reason" })
            {
                error = "decision.contain has an unknown member (scope, action, reason)";
                return false;
            }
        }

        if (!o.TryGetValue("scope", out var s) || s is not RegoString scope || !PolicyContainment.Scopes.Contains(scope.Value))
        {
            error = "decision.contain.scope must be \"task\" or \"identity\"";
            return false;
        }

        if (!o.TryGetValue("action", out var a) || a is not RegoString action || !PolicyContainment.Actions.Contains(action.Value))
        {
            error = "decision.contain.action must be \"revoke\" or \"quarantine\"";
            return false;
        }

        if (!o.TryGetValue("reason", out var r) || r is not RegoString reason || string.IsNullOrWhiteSpace(reason.Value)
            || reason.Value.Length > PolicyContainment.MaxReasonLength || reason.Value.Any(char.IsControl))
        {
            error = $"decision.contain.reason must be a non-empty string of at most {PolicyContainment.MaxReasonLength} characters without control characters";
            return false;
        }

        contain = new PolicyContainment(scope.Value, action.Value, reason.Value.Trim());
        error = string.Empty;
        return true;
    }

    private static bool TryStrings(RegoValue value, out IReadOnlyList<string> strings)
    {
        var ok = RegoStrings.TryReadList(value, out var list);
        strings = list;
        return ok;
    }

    // RFC 9110 token characters; a policy must not be able to inject a malformed header.
    private static bool IsHeaderName(string name) =>
        name.Length > 0 && name.All(c => c < 127 && c > 32 && "\"(),/:;<=>?@[\\]{}".IndexOf(c, StringComparison.Ordinal) < 0);

    private static bool IsHeaderValue(string value) => value.All(c => c == '\t' || (c >= 32 && c != 127));
}

/// <summary>Where a decision came from: the engine's decision id and the policy revision (either may be unknown).</summary>
internal readonly record struct DecisionProvenance(string? DecisionId, string? Revision);

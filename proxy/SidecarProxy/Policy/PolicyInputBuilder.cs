using System.Collections.Concurrent;
using System.Globalization;
using SidecarProxy.Approvals;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;
using SidecarProxy.Rego.Values;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Policy;

/// <summary>
/// Builds the policy input: shaped like the OPA-Envoy plugin's input (attributes, parsed_path,
/// parsed_query) so that Envoy policies port with little change, plus <c>task</c>, <c>tool</c>,
/// <c>approval</c> and <c>containment</c>. The same value feeds the embedded engine directly and the OPA server as JSON.
/// </summary>
internal static class PolicyInputBuilder
{
    private static readonly RegoString AttributesKey = new("attributes");
    private static readonly RegoString SourceKey = new("source");
    private static readonly RegoString PrincipalKey = new("principal");
    private static readonly RegoString FingerprintKey = new("certificate_fingerprint");
    private static readonly RegoString RequestKey = new("request");
    private static readonly RegoString TimeKey = new("time");
    private static readonly RegoString HttpKey = new("http");
    private static readonly RegoString MethodKey = new("method");
    private static readonly RegoString PathKey = new("path");
    private static readonly RegoString HostKey = new("host");
    private static readonly RegoString SchemeKey = new("scheme");
    private static readonly RegoString HeadersKey = new("headers");
    private static readonly RegoString ParsedPathKey = new("parsed_path");
    private static readonly RegoString ParsedQueryKey = new("parsed_query");
    private static readonly RegoString SourcePrincipalKey = new("source_principal");
    private static readonly RegoString TaskKey = new("task");
    private static readonly RegoString ToolKey = new("tool");
    private static readonly RegoString IdKey = new("id");
    private static readonly RegoString LabelsKey = new("labels");
    private static readonly RegoString ApprovalKey = new("approval");
    private static readonly RegoString ContainmentKey = new("containment");

    /// <summary>The input for a request; <paramref name="approval"/> is <c>input.approval</c> (null when none).</summary>
    public static RegoObject Build(PolicyRequest fields, RegoValue? approval = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var principal = new RegoString(fields.SpiffeId);

        // Built for every request: small objects are sorted member arrays (RegoObject.FromMembers), not hash tables.
        // PolicyRequest headers are already lowercased, joined and stripped of credentials.
        var headers = new KeyValuePair<RegoValue, RegoValue>[fields.Headers.Count];
        var i = 0;
        foreach (var (name, value) in fields.Headers)
        {
            headers[i++] = Member(new RegoString(name), new RegoString(value));
        }

        var http = RegoObject.FromMembers(
            Member(MethodKey, new RegoString(fields.Method)),
            Member(PathKey, new RegoString(fields.Path + fields.Query)),
            Member(HostKey, new RegoString(fields.Host)),
            Member(SchemeKey, new RegoString(fields.Scheme)),
            Member(HeadersKey, RegoObject.FromMembers(headers)));
        var request = RegoObject.FromMembers(
            Member(TimeKey, new RegoString(Rfc3339(fields.Time))),
            Member(HttpKey, http));
        var source = RegoObject.FromMembers(
            Member(PrincipalKey, principal),
            Member(FingerprintKey, new RegoString(fields.CertificateFingerprint)));
        var members = new List<KeyValuePair<RegoValue, RegoValue>>(9)
        {
            Member(AttributesKey, RegoObject.FromMembers(Member(SourceKey, source), Member(RequestKey, request))),
            Member(ParsedPathKey, ParsePath(fields.Path)),
            Member(ParsedQueryKey, ParseQuery(fields.Query)),
            Member(SourcePrincipalKey, principal),
            Member(TaskKey, fields.Task is null ? RegoNull.Instance : TaskValue(fields.Task)),
            Member(ToolKey, ToolValue(fields.ToolId, fields.ToolLabels)),
            Member(ApprovalKey, approval ?? (fields.Approval is { } a ? ApprovalValue(a) : RegoNull.Instance)),
            Member(ContainmentKey, fields.Containment is { } c ? ContainmentValue(c) : RegoNull.Instance),
        };
        if (fields.Mcp is { } mcp)
        {
            members.Add(Member(McpKey, McpValue(mcp)));
        }

        return RegoObject.FromMembers([.. members]);
    }

    private static readonly RegoString McpKey = new("mcp");

    /// <summary><c>input.mcp</c>: every member present, null when unknown, so a policy can test any of them.</summary>
    private static RegoObject McpValue(McpContext mcp) => RegoObject.FromMembers(
        Member(new RegoString("protocol_version"), Str(mcp.ProtocolVersion)),
        Member(new RegoString("method"), Str(mcp.Method)),
        Member(new RegoString("id"), mcp.Id is { } id ? RegoJson.FromElement(id) : RegoNull.Instance),
        Member(new RegoString("name"), Str(mcp.Name)),
        Member(new RegoString("arguments"), mcp.Arguments is { } args ? RegoJson.FromElement(args) : RegoNull.Instance),
        Member(new RegoString("session"), Str(mcp.Session)),
        Member(new RegoString("phase"), new RegoString(mcp.Phase)));

    private static RegoValue Str(string? value) => value is null ? RegoNull.Instance : new RegoString(value);

    /// <summary><c>input.containment</c>: <c>{"state": "quarantined", "reason": ..., "since": RFC 3339}</c>.</summary>
    private static RegoObject ContainmentValue(ContainmentState containment) =>
        RegoObject.FromMembers(
            Member(new RegoString("reason"), new RegoString(containment.Reason)),
            Member(new RegoString("since"), new RegoString(Rfc3339(containment.Since))),
            Member(new RegoString("state"), new RegoString(containment.State)));

    /// <summary><c>input.approval</c>: <c>{"id": ..., "approved_by": [SPIFFE IDs], "approved_at": RFC 3339}</c>.</summary>
    private static RegoObject ApprovalValue(ApprovalGrant approval) =>
        RegoObject.FromMembers(
            Member(new RegoString("approved_at"), new RegoString(Rfc3339(approval.ApprovedAt))),
            Member(new RegoString("approved_by"), new RegoArray([.. approval.ApprovedBy.Select(a => (RegoValue)new RegoString(a))])),
            Member(IdKey, new RegoString(approval.Id)));

    private static KeyValuePair<RegoValue, RegoValue> Member(RegoValue key, RegoValue value) => new(key, value);

    // input.tool is the same for every request of a route: built once per (tool id, labels) and shared (Rego
    // values are immutable). Keyed by tool id, the number of routes bounds it; a reloaded route whose labels
    // changed comes with a new labels instance and replaces its entry.
    private static readonly ConcurrentDictionary<string, (IReadOnlyDictionary<string, string> Labels, RegoObject Value)> ToolValues =
        new(StringComparer.Ordinal);

    private static RegoObject ToolValue(string toolId, IReadOnlyDictionary<string, string> labels)
    {
        if (ToolValues.TryGetValue(toolId, out var cached) && ReferenceEquals(cached.Labels, labels))
        {
            return cached.Value;
        }

        var map = new Dictionary<RegoValue, RegoValue>(labels.Count);
        foreach (var (k, v) in labels)
        {
            map[new RegoString(k)] = new RegoString(v);
        }

        var value = new RegoObject(new Dictionary<RegoValue, RegoValue>(2)
        {
            [IdKey] = new RegoString(toolId),
            [LabelsKey] = new RegoObject(map),
        });
        ToolValues[toolId] = (labels, value);
        return value;
    }

    /// <summary>
    /// RFC 3339 in UTC with the fraction's trailing zeros dropped (<c>2026-11-25T12:00:00Z</c>,
    /// <c>2026-11-25T12:00:00.25Z</c>), as Envoy's request time reads; the round-trip format's fast path, trimmed.
    /// </summary>
    internal static string Rfc3339(DateTimeOffset time)
    {
        Span<char> buffer = stackalloc char[40];
        if (!time.UtcDateTime.TryFormat(buffer, out var length, "O", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("a round-trip date did not fit in 40 characters");
        }

        // "yyyy-MM-ddTHH:mm:ss.fffffffZ": drop trailing zeros of the fraction, and the dot if nothing is left.
        var end = length - 1;
        var digits = end;
        while (buffer[digits - 1] == '0')
        {
            digits--;
        }

        if (buffer[digits - 1] == '.')
        {
            digits--;
        }

        buffer[digits] = 'Z';
        return new string(buffer[..(digits + 1)]);
    }

    /// <summary><c>input.task</c>: the verified task grant's id, issuer, expiry and remaining claims.</summary>
    private static RegoObject TaskValue(TaskContext task)
    {
        var claims = new Dictionary<RegoValue, RegoValue>(task.Claims.Count);
        foreach (var (name, value) in task.Claims)
        {
            claims[new RegoString(name)] = RegoJson.FromElement(value);
        }

        return new RegoObject(new Dictionary<RegoValue, RegoValue>(4)
        {
            [new RegoString("id")] = new RegoString(task.Id),
            [new RegoString("issuer")] = task.Issuer is null ? RegoNull.Instance : new RegoString(task.Issuer),
            [new RegoString("expires_at")] = task.ExpiresAt is { } exp
                ? new RegoString(exp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
                : RegoNull.Instance,
            [new RegoString("claims")] = new RegoObject(claims),
        });
    }

    /// <summary>Path segments, percent-decoded, empty segments dropped (as OPA-Envoy's parsed_path).</summary>
    internal static RegoArray ParsePath(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return RegoArray.Empty;
        }

        var items = new RegoValue[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            items[i] = new RegoString(Uri.UnescapeDataString(segments[i]));
        }

        return new RegoArray(items);
    }

    /// <summary>Query parameters as name → array of values, percent-decoded, '+' as space.</summary>
    internal static RegoObject ParseQuery(string query)
    {
        var q = query.StartsWith('?') ? query[1..] : query;
        if (q.Length == 0)
        {
            return RegoObject.Empty;
        }

        var values = new Dictionary<string, List<RegoValue>>(StringComparer.Ordinal);
        foreach (var part in q.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? string.Empty : Decode(part[(eq + 1)..]);
            if (!values.TryGetValue(name, out var list))
            {
                values[name] = list = [];
            }

            list.Add(new RegoString(value));
        }

        var map = new Dictionary<RegoValue, RegoValue>(values.Count);
        foreach (var (name, list) in values)
        {
            map[new RegoString(name)] = new RegoArray(list.ToArray());
        }

        return new RegoObject(map);
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}

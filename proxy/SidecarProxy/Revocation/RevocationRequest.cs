using System.Globalization;
using System.Text.Json;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>
/// Parses and validates the body of <c>POST /admin/revocations</c>:
/// <c>{"subject": {"kind", "value"}, "action", "reason", "expires_at"?}</c>. Every problem is reported, and a
/// request with any problem changes nothing.
/// </summary>
internal static class RevocationRequest
{
    public const int MaxReasonLength = 1024;

    public static bool TryParse(
        JsonElement body, DateTimeOffset now, out (RevocationSubject Subject, string Action, string Reason, DateTimeOffset? ExpiresAt) request, out List<string> errors)
    {
        errors = [];
        request = default;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("the body must be a JSON object");
            return false;
        }

        RevocationSubject? subject = null;
        if (!body.TryGetProperty("subject", out var subjectElement) || subjectElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add("subject is required: {\"kind\": ..., \"value\": ...}");
        }
        else
        {
            var kind = String(subjectElement, "kind");
            var value = String(subjectElement, "value");
            if (kind is null || !SubjectKinds.All.Contains(kind))
            {
                errors.Add("subject.kind must be one of " + string.Join(", ", SubjectKinds.All));
            }
            else if (string.IsNullOrEmpty(value))
            {
                errors.Add("subject.value is required");
            }
            else if (ValidateSubject(kind, value) is { } error)
            {
                errors.Add(error);
            }
            else
            {
                subject = new RevocationSubject(kind, value);
            }
        }

        var action = String(body, "action");
        if (action is null || !RevocationActions.All.Contains(action))
        {
            errors.Add("action must be one of " + string.Join(", ", RevocationActions.All));
        }

        var reason = String(body, "reason");
        if (string.IsNullOrWhiteSpace(reason))
        {
            errors.Add("reason is required");
        }
        else if (reason.Length > MaxReasonLength)
        {
            errors.Add($"reason must be at most {MaxReasonLength} characters");
        }

        DateTimeOffset? expiresAt = null;
        if (body.TryGetProperty("expires_at", out var expiresElement) && expiresElement.ValueKind != JsonValueKind.Null)
        {
            if (expiresElement.ValueKind != JsonValueKind.String
                || !TryParseRfc3339(expiresElement.GetString()!, out var parsed))
            {
                errors.Add("expires_at must be an RFC 3339 date-time with a time zone (e.g. 2026-11-25T12:00:00Z)");
            }
            else if (parsed <= now)
            {
                errors.Add("expires_at must be in the future");
            }
            else
            {
                expiresAt = parsed;
            }
        }

        if (errors.Count > 0)
        {
            return false;
        }

        request = (subject!, action!, reason!.Trim(), expiresAt);
        return true;
    }

    /// <summary>Null when <paramref name="value"/> is a valid subject of <paramref name="kind"/>, else why not.</summary>
    public static string? ValidateSubject(string kind, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (kind)
        {
            case SubjectKinds.SpiffeId:
                if (!SpiffeId.TryParse(value, out var id, out var error))
                {
                    return "subject.value is not a valid SPIFFE ID: " + error.Message();
                }

                return id.Path.Length == 0 ? "subject.value must be the SPIFFE ID of a workload (with a path)" : null;
            case SubjectKinds.SpiffeIdPrefix:
                var trimmed = value.TrimEnd('/');
                if (trimmed.Length < value.Length - 1)
                {
                    return "subject.value must not end with more than one slash";
                }

                return SpiffeId.TryParse(trimmed, out _, out var prefixError)
                    ? null
                    : "subject.value is not a valid SPIFFE ID prefix: " + prefixError.Message();
            case SubjectKinds.TrustDomain:
                return TrustDomain.TryParse(value, out _, out var tdError)
                    ? null
                    : "subject.value is not a valid trust domain name: " + tdError.Message();
            case SubjectKinds.Task:
                return value.Length > 512 || value.Any(char.IsControl)
                    ? "subject.value must be a task id of at most 512 characters without control characters"
                    : null;
            default:
                return "subject.kind must be one of " + string.Join(", ", SubjectKinds.All);
        }
    }

    /// <summary>RFC 3339: a full date, 'T', a time and a mandatory offset (Z or ±hh:mm).</summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 20 || (text[10] != 'T' && text[10] != 't')
            || !(text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-'))
        {
            return false;
        }

        return DateTimeOffset.TryParse(
            text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out value);
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.Admin;
using SidecarProxy.Configuration;
using SidecarProxy.Revocation;
using SidecarProxy.Spiffe;
using SidecarProxy.TaskGrants;

namespace SidecarProxy.Signals;

/// <summary>What a pushed SET did: accepted (HTTP 202) with the subjects it revoked, or refused with an RFC 8935 error.</summary>
internal sealed record SetOutcome(int Status, string? Error, string? Description, string? Issuer, IReadOnlyList<RevocationSubject> Subjects)
{
    /// <summary>The record the SET created (null when refused, a verification event, or the subject was already revoked).</summary>
    public RevocationRecord? Record { get; init; }

    public int Closed { get; init; }

    public int Purged { get; init; }

    public static SetOutcome Refused(string error, string description, string? issuer = null, int status = 400) =>
        new(status, error, description, issuer, []);
}

/// <summary>
/// Receives Security Event Tokens pushed by Shared Signals transmitters (RFC 8935, RFC 8417) and maps CAEP
/// <c>session-revoked</c> to a revoke through the revocation store, as an admin would (<c>created_by</c> =
/// <c>ssf:&lt;iss&gt;</c>). A SET is verified before anything changes: a JWT with <c>typ</c> <c>secevent+jwt</c>, an
/// asymmetric algorithm of the task-grant allow-list, an <c>iss</c> that is a configured transmitter, a signature by
/// that transmitter's keys (JWKS file or URL, reloaded as task-grant keys are), its <c>aud</c>, a <c>jti</c> not seen
/// before, an <c>iat</c> no older than <see cref="TransmitterOptions.MaxEventAge"/>, and exactly one event of a known
/// type. A <c>jti</c> is remembered (per issuer) until the SET's <c>exp</c> or <c>iat</c> + MaxEventAge, whichever
/// is later, in a bounded cache; an older SET is refused, so a replay can never outlive the cache.
/// </summary>
internal sealed partial class SetReceiver : IDisposable
{
    public const string SessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
    public const string Verification = "https://schemas.openid.net/secevent/ssf/event-type/verification";
    public const int ReplayCapacity = 100_000;
    private const int MaxReasonLength = 512;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, (TransmitterOptions Options, ITaskGrantKeySource Keys, AdminPrincipalPattern? Caller)> _transmitters =
        new(StringComparer.Ordinal);

    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly JsonWebTokenHandler _handler = new();
    private readonly string? _taskGrantIssuer;
    private readonly RevocationStore _store;
    private readonly RevocationEnforcer _enforcer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SetReceiver(
        IOptions<AdminOptions> options,
        IOptions<TaskGrantOptions> taskGrants,
        RevocationStore store,
        RevocationEnforcer enforcer,
        IHttpClientFactory http,
        TimeProvider time,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(taskGrants);
        ArgumentNullException.ThrowIfNull(loggers);
        _store = store;
        _enforcer = enforcer;
        _time = time;
        _logger = loggers.CreateLogger<SetReceiver>();
        _taskGrantIssuer = taskGrants.Value.Issuer;
        foreach (var t in options.Value.Transmitters)
        {
            if (t.Issuer is null)
            {
                continue;
            }

            ITaskGrantKeySource keys = !string.IsNullOrWhiteSpace(t.JwksPath)
                ? new FileJwksKeySource(t.JwksPath, loggers.CreateLogger<FileJwksKeySource>())
                : t.JwksUrl is { } url
                    ? new UrlJwksKeySource(url, new TaskGrantOptions(), http, time, loggers.CreateLogger<UrlJwksKeySource>())
                    : new NoTaskGrantKeySource();
            _transmitters[t.Issuer] = (t, keys, t.SpiffeId is null ? null : AdminPrincipalPattern.TryCreate(t.SpiffeId, out _));
        }
    }

    /// <summary>Verifies <paramref name="set"/> (pushed by <paramref name="caller"/>) and applies it. Nothing changes unless the outcome is 202.</summary>
    public async Task<SetOutcome> ReceiveAsync(string set, SpiffeId caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(set);
        JsonWebToken token;
        try
        {
            token = _handler.ReadJsonWebToken(set.Trim());
        }
        catch (ArgumentException)
        {
            return SetOutcome.Refused("invalid_request", "the body is not a JWT (a compact JWS)");
        }

        if (token.IsEncrypted)
        {
            return SetOutcome.Refused("invalid_request", "encrypted SETs are not accepted");
        }

        if (!string.Equals(token.Typ, "secevent+jwt", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(token.Typ, "application/secevent+jwt", StringComparison.OrdinalIgnoreCase))
        {
            return SetOutcome.Refused("invalid_request", "the JWT's typ header must be secevent+jwt");
        }

        if (!TaskGrantValidator.AllowedAlgorithms.Contains(token.Alg ?? string.Empty))
        {
            return SetOutcome.Refused("invalid_key", "the SET must be signed with an asymmetric algorithm (RS*, PS*, ES*)");
        }

        var issuer = token.Issuer;
        if (string.IsNullOrEmpty(issuer) || !_transmitters.TryGetValue(issuer, out var transmitter))
        {
            return SetOutcome.Refused("invalid_issuer", "the SET's iss is not a configured transmitter");
        }

        if (transmitter.Caller is { } pattern && !pattern.Matches(caller))
        {
            return SetOutcome.Refused("access_denied", $"{caller} may not push SETs of this issuer", issuer, 403);
        }

        var failure = await VerifyAsync(token, transmitter.Options, transmitter.Keys, cancellationToken);
        if (failure is not null)
        {
            return failure with { Issuer = issuer };
        }

        var now = _time.GetUtcNow();
        if (!token.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrWhiteSpace(jti) || jti.Length > 256)
        {
            return SetOutcome.Refused("invalid_request", "the SET has no jti (at most 256 characters)", issuer);
        }

        if (!token.TryGetPayloadValue<long>("iat", out var iatSeconds))
        {
            return SetOutcome.Refused("invalid_request", "the SET has no iat", issuer);
        }

        var iat = DateTimeOffset.FromUnixTimeSeconds(iatSeconds);
        if (iat > now + ClockSkew || iat < now - transmitter.Options.MaxEventAge - ClockSkew)
        {
            return SetOutcome.Refused("invalid_request", $"the SET's iat is in the future or older than {transmitter.Options.MaxEventAge}", issuer);
        }

        var rememberUntil = iat + transmitter.Options.MaxEventAge + ClockSkew;
        if (token.TryGetPayloadValue<long>("exp", out var expSeconds))
        {
            var exp = DateTimeOffset.FromUnixTimeSeconds(expSeconds);
            if (exp + ClockSkew <= now)
            {
                return SetOutcome.Refused("invalid_request", "the SET has expired", issuer);
            }

            rememberUntil = exp + ClockSkew > rememberUntil ? exp + ClockSkew : rememberUntil;
        }

        SetEvent parsed;
        try
        {
            using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
            var problem = ReadEvent(payload.RootElement, out parsed);
            if (problem is not null)
            {
                return SetOutcome.Refused("invalid_request", problem, issuer);
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return SetOutcome.Refused("invalid_request", "the SET's payload is not a JSON object", issuer);
        }

        var replayKey = issuer + "\n" + jti;
        if (!TryRemember(replayKey, rememberUntil, now, out var full))
        {
            return full
                ? SetOutcome.Refused("invalid_request", "too many recent SETs to guard against replay; retry later", issuer, 503)
                : SetOutcome.Refused("invalid_request", "this SET (iss and jti) was already received", issuer);
        }

        if (parsed.Subject is not { } subject)
        {
            // A verification event (or another event that changes nothing): accepted.
            return new SetOutcome(202, null, null, issuer, []);
        }

        var reason = Clean($"CAEP session-revoked from {issuer} (jti {jti})" + (parsed.Reason is { } r ? ": " + r : string.Empty));
        try
        {
            var already = _store.Snapshot.Records.Any(x => x.Subject == subject && x.Action == RevocationActions.Revoke && x.IsActive(now));
            if (!already)
            {
                var record = _store.Add(subject, RevocationActions.Revoke, reason, null, "ssf:" + issuer);
                var (closed, purged) = _enforcer.Apply(record);
                LogApplied(_logger, record.Id, subject.Kind, issuer, closed, purged);
                return new SetOutcome(202, null, null, issuer, [subject]) { Record = record, Closed = closed, Purged = purged };
            }

            return new SetOutcome(202, null, null, issuer, [subject]);
        }
        catch (RevocationStateException)
        {
            // Nothing changed: let the transmitter deliver the same SET again.
            Forget(replayKey);
            return SetOutcome.Refused("invalid_request", "the revocation state could not be saved; retry later", issuer, 503);
        }
    }

    public void Dispose()
    {
        foreach (var (_, (_, keys, _)) in _transmitters)
        {
            (keys as IDisposable)?.Dispose();
        }
    }

    private async Task<SetOutcome?> VerifyAsync(JsonWebToken token, TransmitterOptions options, ITaskGrantKeySource source, CancellationToken cancellationToken)
    {
        var keys = await source.GetKeysAsync(cancellationToken);
        if (keys is null)
        {
            return SetOutcome.Refused("invalid_key", "the transmitter's keys cannot be loaded; retry later", status: 503);
        }

        if (!string.IsNullOrEmpty(token.Kid) && !keys.Any(k => k.KeyId == token.Kid) && await source.RefreshAsync(cancellationToken))
        {
            keys = await source.GetKeysAsync(cancellationToken) ?? keys;
        }

        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidateIssuer = true,
            ValidAudience = options.Audience,
            ValidateAudience = true,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidAlgorithms = TaskGrantValidator.AllowedAlgorithms,
            IssuerSigningKeys = keys,
            TryAllIssuerSigningKeys = true,
            ValidateIssuerSigningKey = false,
            ValidateSignatureLast = false,
        });
        if (result.IsValid)
        {
            return null;
        }

        return result.Exception switch
        {
            SecurityTokenInvalidAudienceException => SetOutcome.Refused("invalid_audience", "the SET's aud is not this sidecar"),
            SecurityTokenInvalidIssuerException => SetOutcome.Refused("invalid_issuer", "the SET's iss is not a configured transmitter"),
            SecurityTokenMalformedException => SetOutcome.Refused("invalid_request", "the SET is malformed"),
            _ => SetOutcome.Refused("invalid_key", "the SET's signature does not verify with the transmitter's keys"),
        };
    }

    // Exactly one event; session-revoked must name a subject this sidecar can revoke. Returns a problem or null.
    private string? ReadEvent(JsonElement payload, out SetEvent parsed)
    {
        parsed = default;
        if (!payload.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Object)
        {
            return "the SET has no events object";
        }

        var members = events.EnumerateObject().ToList();
        if (members.Count != 1)
        {
            return "the SET must carry exactly one event";
        }

        var (type, body) = (members[0].Name, members[0].Value);
        if (type == Verification)
        {
            return null;
        }

        if (type != SessionRevoked)
        {
            return "unknown event type (accepted: CAEP session-revoked, SSF verification)";
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return "the session-revoked event must be an object";
        }

        // SSF puts the subject in the top-level sub_id; earlier CAEP drafts in the event's subject.
        var subjectElement = payload.TryGetProperty("sub_id", out var subId) ? subId
            : body.TryGetProperty("subject", out var inner) ? inner
            : default;
        if (subjectElement.ValueKind != JsonValueKind.Object)
        {
            return "the session-revoked event names no subject (sub_id)";
        }

        var problem = ReadSubject(subjectElement, complexAllowed: true, out var subject);
        if (problem is not null)
        {
            return problem;
        }

        parsed = new SetEvent(subject, ReadReason(body));
        return null;
    }

    private string? ReadSubject(JsonElement element, bool complexAllowed, out RevocationSubject? subject)
    {
        subject = null;
        var format = element.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        switch (format)
        {
            case "uri":
                var uri = String(element, "uri");
                if (uri is null || !SpiffeId.TryParse(uri, out var id, out _) || id.Path.Length == 0)
                {
                    return "a uri subject must be the SPIFFE ID of a workload";
                }

                subject = new RevocationSubject(SubjectKinds.SpiffeId, id.ToString());
                return null;
            case "jwt_id":
                var iss = String(element, "iss");
                var jti = String(element, "jti");
                if (iss is null || jti is null)
                {
                    return "a jwt_id subject needs iss and jti";
                }

                if (_taskGrantIssuer is null || !string.Equals(iss, _taskGrantIssuer, StringComparison.Ordinal))
                {
                    return "a jwt_id subject's iss must be this sidecar's task grant issuer (Sidecar:TaskGrants:Issuer)";
                }

                if (RevocationRequest.ValidateSubject(SubjectKinds.Task, jti) is not null)
                {
                    return "a jwt_id subject's jti must be a task id of at most 512 characters";
                }

                subject = new RevocationSubject(SubjectKinds.Task, jti);
                return null;
            case "complex" when complexAllowed:
                var found = new List<RevocationSubject>();
                foreach (var member in element.EnumerateObject())
                {
                    if (member.Value.ValueKind == JsonValueKind.Object
                        && member.Value.TryGetProperty("format", out var mf) && mf.GetString() is "uri" or "jwt_id")
                    {
                        var problem = ReadSubject(member.Value, complexAllowed: false, out var part);
                        if (problem is not null)
                        {
                            return problem;
                        }

                        found.Add(part!);
                    }
                }

                if (found.Count != 1)
                {
                    return "a complex subject must hold exactly one uri (SPIFFE ID) or jwt_id (task grant) subject";
                }

                subject = found[0];
                return null;
            default:
                return "the subject's format must be uri (a SPIFFE ID), jwt_id (a task grant) or complex";
        }
    }

    // reason_admin is {"en": "..."} in CAEP (a plain string is tolerated); the English text, or the first one.
    private static string? ReadReason(JsonElement body)
    {
        if (!body.TryGetProperty("reason_admin", out var reason))
        {
            return null;
        }

        if (reason.ValueKind == JsonValueKind.String)
        {
            return reason.GetString();
        }

        if (reason.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (reason.TryGetProperty("en", out var en) && en.ValueKind == JsonValueKind.String)
        {
            return en.GetString();
        }

        return reason.EnumerateObject().Select(p => p.Value).FirstOrDefault(v => v.ValueKind == JsonValueKind.String) is { ValueKind: JsonValueKind.String } any
            ? any.GetString()
            : null;
    }

    private static string Clean(string text)
    {
        var cleaned = new string([.. text.Where(c => !char.IsControl(c))]);
        return cleaned.Length <= RevocationRequest.MaxReasonLength ? cleaned : cleaned[..RevocationRequest.MaxReasonLength];
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;

    private bool TryRemember(string key, DateTimeOffset until, DateTimeOffset now, out bool full)
    {
        lock (_gate)
        {
            full = false;
            if (_seen.TryGetValue(key, out var existing) && existing > now)
            {
                return false;
            }

            if (_seen.Count >= ReplayCapacity)
            {
                foreach (var stale in _seen.Where(p => p.Value <= now).Select(p => p.Key).ToList())
                {
                    _seen.Remove(stale);
                }

                if (_seen.Count >= ReplayCapacity)
                {
                    full = true;
                    return false;
                }
            }

            _seen[key] = until;
            return true;
        }
    }

    private void Forget(string key)
    {
        lock (_gate)
        {
            _seen.Remove(key);
        }
    }

    private readonly record struct SetEvent(RevocationSubject? Subject, string? Reason);

    [LoggerMessage(EventId = 12020, Level = LogLevel.Warning,
        Message = "SET from {Issuer} applied: revocation {RecordId} of a {SubjectKind}; {Closed} connection(s) or task request(s) closed, {Purged} credential(s) purged")]
    private static partial void LogApplied(ILogger logger, string recordId, string subjectKind, string issuer, int closed, int purged);
}

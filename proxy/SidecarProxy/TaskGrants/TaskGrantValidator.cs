using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// Checks the <c>X-Task-Grant</c> JWT: asymmetric algorithm from the allow-list, signature by the
/// orchestrator's keys, issuer, expiry (with a small skew, time from <see cref="TimeProvider"/>), and that
/// <c>sub</c> is the mTLS SPIFFE ID, so a grant stolen from one agent is useless to another.
/// </summary>
internal sealed class TaskGrantValidator
{
    public const string HeaderName = "X-Task-Grant";

    /// <summary>Longest claimed task id of a rejected grant the audit keeps; a longer one is abuse, not an id.</summary>
    public const int MaxClaimedTaskIdLength = 128;

    /// <summary>RS/PS/ES only: "none" and HMAC (which a public key could be abused to forge) are never accepted.</summary>
    public static readonly FrozenSet<string> AllowedAlgorithms = new[]
    {
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    }.ToFrozenSet(StringComparer.Ordinal);

    // Represented by TaskContext's own fields (or by the principal), so not repeated under claims.
    private static readonly string[] LiftedClaims = ["iss", "sub", "exp", "nbf", "iat", "task_id"];

    private readonly TaskGrantOptions _options;
    private readonly ITaskGrantKeySource _keys;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly JsonWebTokenHandler _handler = new();

    public TaskGrantValidator(IOptions<TaskGrantOptions> options, ITaskGrantKeySource keys, TimeProvider time, ILogger<TaskGrantValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _keys = keys;
        _time = time;
        _logger = logger;
    }

    /// <summary>Validates the header's values (none, one, or several, which is malformed).</summary>
    public ValueTask<TaskGrantResult> ValidateAsync(StringValues header, string agentSpiffeId, CancellationToken cancellationToken) =>
        header.Count > 1
            ? ValueTask.FromResult(Reject(agentSpiffeId, TaskGrantFailure.Malformed))
            : ValidateAsync(header.Count == 0 ? null : header[0], agentSpiffeId, cancellationToken);

    public async ValueTask<TaskGrantResult> ValidateAsync(string? grant, string agentSpiffeId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agentSpiffeId);
        if (string.IsNullOrWhiteSpace(grant))
        {
            return _options.Required ? Reject(agentSpiffeId, TaskGrantFailure.Missing) : TaskGrantResult.None;
        }

        if (grant.Length > _options.MaxGrantLength)
        {
            return Reject(agentSpiffeId, TaskGrantFailure.Malformed);
        }

        JsonWebToken token;
        try
        {
            token = _handler.ReadJsonWebToken(grant.Trim());
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            // FormatException: a segment that is not base64url (IDX10400), thrown past the handler's own checks.
            return Reject(agentSpiffeId, TaskGrantFailure.Malformed);
        }

        // Checked before any key is touched: the allow-list is what makes "none" and HS-with-a-public-key impossible.
        if (token.IsEncrypted)
        {
            return Reject(agentSpiffeId, TaskGrantFailure.Malformed);
        }

        if (!AllowedAlgorithms.Contains(token.Alg ?? string.Empty))
        {
            return Reject(agentSpiffeId, TaskGrantFailure.AlgorithmNotAllowed, token);
        }

        var failure = await VerifySignatureAndIssuerAsync(token, cancellationToken);
        if (failure is { } f)
        {
            return Reject(agentSpiffeId, f, token);
        }

        failure = CheckLifetime(token) ?? CheckSubject(token, agentSpiffeId);
        if (failure is { } g)
        {
            return Reject(agentSpiffeId, g, token);
        }

        var taskId = StringClaim(token, "task_id") ?? StringClaim(token, "jti");
        if (taskId is null)
        {
            return Reject(agentSpiffeId, TaskGrantFailure.NoTaskId);
        }

        var claims = ReadClaims(token);
        if (claims is null)
        {
            return Reject(agentSpiffeId, TaskGrantFailure.Malformed, token);
        }

        var expiresAt = new DateTimeOffset(token.ValidTo, TimeSpan.Zero);
        var context = new TaskContext(taskId, token.Issuer, expiresAt, claims);
        TaskGrantLog.Accepted(_logger, agentSpiffeId, taskId, expiresAt);
        return TaskGrantResult.Valid(context);
    }

    private async ValueTask<TaskGrantFailure?> VerifySignatureAndIssuerAsync(JsonWebToken token, CancellationToken cancellationToken)
    {
        var keys = await _keys.GetKeysAsync(cancellationToken);
        if (keys is null)
        {
            return TaskGrantFailure.KeysUnavailable;
        }

        // An unknown kid usually means the orchestrator rotated; look once more before calling it forged.
        if (!string.IsNullOrEmpty(token.Kid) && !keys.Any(k => k.KeyId == token.Kid) && await _keys.RefreshAsync(cancellationToken))
        {
            keys = await _keys.GetKeysAsync(cancellationToken) ?? keys;
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidateIssuer = true,
            ValidAudience = _options.Audience,
            ValidateAudience = _options.Audience is not null,

            // Lifetime is checked afterwards against the injected TimeProvider.
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidAlgorithms = AllowedAlgorithms,
            IssuerSigningKeys = keys,
            TryAllIssuerSigningKeys = true,
            ValidateIssuerSigningKey = false,
            ValidateSignatureLast = false,
        };

        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (result.IsValid)
        {
            return null;
        }

        return result.Exception switch
        {
            SecurityTokenInvalidIssuerException => TaskGrantFailure.WrongIssuer,
            SecurityTokenInvalidAudienceException => TaskGrantFailure.WrongAudience,
            SecurityTokenInvalidAlgorithmException => TaskGrantFailure.AlgorithmNotAllowed,
            SecurityTokenInvalidSignatureException => TaskGrantFailure.BadSignature,
            SecurityTokenMalformedException => TaskGrantFailure.Malformed,
            _ => Unexpected(result.Exception),
        };
    }

    private TaskGrantFailure Unexpected(Exception? exception)
    {
        TaskGrantLog.UnexpectedValidationError(_logger, exception?.GetType().Name ?? "unknown");
        return TaskGrantFailure.BadSignature;
    }

    private TaskGrantFailure? CheckLifetime(JsonWebToken token)
    {
        if (!token.TryGetPayloadValue<long>("exp", out var exp))
        {
            return TaskGrantFailure.Malformed;
        }

        var now = _time.GetUtcNow();
        if (DateTimeOffset.FromUnixTimeSeconds(exp) + _options.ClockSkew <= now)
        {
            return TaskGrantFailure.Expired;
        }

        if (token.TryGetPayloadValue<long>("nbf", out var nbf) && DateTimeOffset.FromUnixTimeSeconds(nbf) - _options.ClockSkew > now)
        {
            return TaskGrantFailure.NotYetValid;
        }

        return null;
    }

    private static TaskGrantFailure? CheckSubject(JsonWebToken token, string agentSpiffeId) =>
        string.Equals(StringClaim(token, "sub"), agentSpiffeId, StringComparison.Ordinal) ? null : TaskGrantFailure.SubjectMismatch;

    private static string? StringClaim(JsonWebToken token, string name) =>
        token.TryGetPayloadValue<string>(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static Dictionary<string, JsonElement>? ReadClaims(JsonWebToken token)
    {
        try
        {
            using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
            if (payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var claims = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var claim in payload.RootElement.EnumerateObject())
            {
                if (!LiftedClaims.Contains(claim.Name, StringComparer.Ordinal))
                {
                    claims[claim.Name] = claim.Value.Clone();
                }
            }

            return claims;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private TaskGrantResult Reject(string agentSpiffeId, TaskGrantFailure failure, JsonWebToken? parsed = null)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var code = TaskGrantResult.CodeOf(failure);
            TaskGrantLog.Rejected(_logger, agentSpiffeId, code);
        }

        return TaskGrantResult.Fail(failure, parsed is null ? null : ClaimedTaskId(parsed));
    }

    /// <summary>
    /// The task id a rejected grant claims, for the audit trail only: read from the unverified payload, and kept
    /// only when it looks like an id (bounded length, no control characters), so a forged grant cannot write
    /// arbitrary text into the trail. Never the grant, never another claim.
    /// </summary>
    private static string? ClaimedTaskId(JsonWebToken token)
    {
        string? id;
        try
        {
            id = StringClaim(token, "task_id") ?? StringClaim(token, "jti");
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or JsonException)
        {
            return null;
        }

        return id is { Length: <= MaxClaimedTaskIdLength } && !id.Any(char.IsControl) ? id : null;
    }
}

using System.Net.Http;
using Microsoft.Extensions.Logging;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Credentials;

/// <summary>
/// Log messages of the credential area (event ids 5000-5099). Arguments are names, ids, status codes and
/// fingerprints: never a token, a secret or a response body.
/// </summary>
internal static partial class CredentialLog
{
    [LoggerMessage(EventId = 5001, EventName = "CredentialIssued", Level = LogLevel.Debug,
        Message = "Issued credential via {Provider} ({Kind}) for {SpiffeId} task {TaskId} tool {ToolId}: {Fingerprint}, expires {ExpiresAt:O}")]
    public static partial void CredentialIssued(ILogger logger, string provider, CredentialKind kind, string spiffeId, string? taskId, string toolId, string fingerprint, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 5002, EventName = "CredentialFailed", Level = LogLevel.Warning,
        Message = "Credential via {Provider} for {SpiffeId} task {TaskId} tool {ToolId} unavailable: {Code}")]
    public static partial void CredentialFailed(ILogger logger, string provider, string spiffeId, string? taskId, string toolId, string code);

    [LoggerMessage(EventId = 5003, EventName = "TokenEndpointRejected", Level = LogLevel.Warning,
        Message = "Token endpoint of {Provider} answered {StatusCode} (error {ErrorCode})")]
    public static partial void TokenEndpointRejected(ILogger logger, string provider, int statusCode, string? errorCode);

    [LoggerMessage(EventId = 5004, EventName = "TokenEndpointInvalidResponse", Level = LogLevel.Warning,
        Message = "Token endpoint of {Provider} sent an unusable response: {Problem}")]
    public static partial void TokenEndpointInvalidResponse(ILogger logger, string provider, string problem);

    [LoggerMessage(EventId = 5005, EventName = "TokenEndpointTimeout", Level = LogLevel.Warning,
        Message = "Token endpoint of {Provider} did not answer within {Timeout}")]
    public static partial void TokenEndpointTimeout(ILogger logger, string provider, TimeSpan timeout);

    [LoggerMessage(EventId = 5006, EventName = "TokenEndpointUnreachable", Level = LogLevel.Warning,
        Message = "Token endpoint of {Provider} unreachable ({Error})")]
    public static partial void TokenEndpointUnreachable(ILogger logger, string provider, HttpRequestError error);

    [LoggerMessage(EventId = 5007, EventName = "SecretFileUnreadable", Level = LogLevel.Error,
        Message = "Secret file {Path} of {Provider} cannot be read ({ErrorType})")]
    public static partial void SecretFileUnreadable(ILogger logger, string provider, string path, string errorType);

    [LoggerMessage(EventId = 5008, EventName = "CacheEvicted", Level = LogLevel.Information,
        Message = "Credential cache full: evicted {Count} entries")]
    public static partial void CacheEvicted(ILogger logger, int count);

    [LoggerMessage(EventId = 5009, EventName = "CacheDropped", Level = LogLevel.Information,
        Message = "Dropped {Count} cached credentials of {Scope} {Value}")]
    public static partial void CacheDropped(ILogger logger, int count, string scope, string value);

    [LoggerMessage(EventId = 5010, EventName = "UnknownProvider", Level = LogLevel.Error,
        Message = "Credential provider {Provider} is not configured")]
    public static partial void UnknownProvider(ILogger logger, string provider);
}

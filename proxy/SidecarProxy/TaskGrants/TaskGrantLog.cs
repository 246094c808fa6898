using Microsoft.Extensions.Logging;
using SidecarProxy.Spiffe;

namespace SidecarProxy.TaskGrants;

/// <summary>Log messages of the task-grant area (event ids 5100-5199). Never the grant itself.</summary>
internal static partial class TaskGrantLog
{
    [LoggerMessage(EventId = 5101, EventName = "TaskGrantAccepted", Level = LogLevel.Debug,
        Message = "Task grant accepted for {SpiffeId}: task {TaskId}, expires {ExpiresAt:O}")]
    public static partial void Accepted(ILogger logger, string spiffeId, string taskId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 5102, EventName = "TaskGrantRejected", Level = LogLevel.Information,
        Message = "Task grant rejected for {SpiffeId}: {Code}")]
    public static partial void Rejected(ILogger logger, string spiffeId, string code);

    [LoggerMessage(EventId = 5103, EventName = "TaskGrantJwksLoaded", Level = LogLevel.Information,
        Message = "Task grant keys loaded from {Source}: {Count} keys")]
    public static partial void JwksLoaded(ILogger logger, string source, int count);

    [LoggerMessage(EventId = 5104, EventName = "TaskGrantJwksLoadFailed", Level = LogLevel.Warning,
        Message = "Task grant keys from {Source} not loaded ({Problem}); keeping the previous set")]
    public static partial void JwksLoadFailed(ILogger logger, string source, string problem);

    [LoggerMessage(EventId = 5105, EventName = "TaskGrantUnexpectedValidationError", Level = LogLevel.Warning,
        Message = "Task grant validation failed with {ExceptionType}")]
    public static partial void UnexpectedValidationError(ILogger logger, string exceptionType);
}

using Microsoft.Extensions.Logging;

namespace SidecarProxy.Audit;

/// <summary>Log messages of the audit area (event ids 5200-5299).</summary>
internal static partial class AuditLog
{
    [LoggerMessage(EventId = 5201, EventName = "AuditQueueFull", Level = LogLevel.Warning,
        Message = "Audit queue full: record dropped ({Dropped} dropped so far)")]
    public static partial void QueueFull(ILogger logger, long dropped);

    [LoggerMessage(EventId = 5202, EventName = "AuditWriteFailed", Level = LogLevel.Error,
        Message = "Audit trail write to {Destination} failed ({ExceptionType}); records are lost until a write succeeds")]
    public static partial void WriteFailed(ILogger logger, string destination, string exceptionType);

    [LoggerMessage(EventId = 5204, EventName = "AuditWriteRecovered", Level = LogLevel.Information,
        Message = "Audit trail writes to {Destination} succeed again")]
    public static partial void WriteRecovered(ILogger logger, string destination);

    [LoggerMessage(EventId = 5205, EventName = "AuditUnavailable", Level = LogLevel.Warning,
        Message = "Audit trail unavailable ({Cause}): Sidecar:Audit:OnFailure={Action} ({Count} requests so far)")]
    public static partial void Unavailable(ILogger logger, string cause, string action, long count);

    [LoggerMessage(EventId = 5203, EventName = "AuditDrained", Level = LogLevel.Information,
        Message = "Audit trail closed: {Written} records written, {Dropped} dropped")]
    public static partial void Drained(ILogger logger, long written, long dropped);
}

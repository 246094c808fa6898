using Microsoft.AspNetCore.Http;
using SidecarProxy.Audit;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Revocation;

/// <summary>Writes one audit line per admin change (and per refused admin call), with the caller and the reason.</summary>
internal sealed class AdminAudit(AuditWriter writer, SidecarMetrics metrics, TimeProvider time)
{
    public void Changed(HttpContext? context, string caller, string @event, RevocationRecord record, int status, int? closed = null, int? purged = null) =>
        Write(new AuditRecord
        {
            Time = time.GetUtcNow(),
            RequestId = context?.TraceIdentifier,
            SpiffeId = caller,
            TaskId = record.Subject.Kind == SubjectKinds.Task ? record.Subject.Value : null,
            Method = context?.Request.Method,
            Path = context?.Request.Path.Value,
            Decision = Verdicts.Allow,
            Reason = record.Reason,
            Status = status,
            Admin = new AdminAuditDetails
            {
                Event = @event,
                RevocationId = record.Id,
                SubjectKind = record.Subject.Kind,
                Subject = record.Subject.Value,
                Action = record.Action,
                ExpiresAt = record.ExpiresAt,
                ConnectionsClosed = closed,
                CredentialsPurged = purged,
            },
        });

    public void Refused(HttpContext context, string? caller, string code, int status) =>
        Write(new AuditRecord
        {
            Time = time.GetUtcNow(),
            RequestId = context.TraceIdentifier,
            SpiffeId = caller,
            Method = context.Request.Method,
            Path = context.Request.Path.Value,
            Decision = Verdicts.Deny,
            Reason = code,
            Status = status,
            Admin = new AdminAuditDetails { Event = "admin_refused" },
        });

    private void Write(AuditRecord record)
    {
        if (!writer.TryWrite(record))
        {
            metrics.AuditDropped.Inc();
        }
    }
}

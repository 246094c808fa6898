using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;

namespace SidecarProxy.Audit;

/// <summary>Notes each denial on the request's <see cref="RequestAuditFeature"/>; the audit middleware writes it.</summary>
internal sealed class AuditProxyEvents : IProxyEvents
{
    public void RequestDenied(HttpContext context, DenialCode code, string? toolId)
    {
        if (context.Features.Get<RequestAuditFeature>() is { } audit)
        {
            audit.Denial ??= code;
        }
    }
}

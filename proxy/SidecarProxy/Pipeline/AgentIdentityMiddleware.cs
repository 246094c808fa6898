using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Identity;
using SidecarProxy.Model;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Identity stage. The SVID was validated once during the TLS handshake (<see cref="AgentTlsHandshake"/>); here
/// each request only reads that cached result, plus an expiry check because a connection can outlive its
/// certificate. Requests on the operations and demo listeners pass: they carry no agent identity.
/// </summary>
internal sealed class AgentIdentityMiddleware(RequestDelegate next, DenialResponder denials, TimeProvider time)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!context.IsAgentRequest())
        {
            return next(context);
        }

        var result = context.Features.Get<IPeerIdentityFeature>()?.Result;
        if (result is null)
        {
            return denials.DenyAsync(context, DenialCode.SvidMissing, "no client certificate presented");
        }

        if (result.Identity is not { } identity)
        {
            return denials.DenyAsync(context, result.Failure!, result.Detail);
        }

        if (time.GetUtcNow() > identity.NotAfter)
        {
            return denials.DenyAsync(context, DenialCode.SvidExpired, "x509svid: leaf certificate has expired");
        }

        return next(context);
    }
}

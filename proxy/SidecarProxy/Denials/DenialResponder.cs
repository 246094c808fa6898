using Microsoft.AspNetCore.Http;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;
using SidecarProxy.Routing;

namespace SidecarProxy.Denials;

/// <summary>
/// The one way a pipeline stage refuses a request: raises the denial event (metrics, audit) and writes the
/// problem document. A stage that calls this must not call the next stage; the response is then set, so
/// YARP does not forward either.
/// </summary>
internal sealed class DenialResponder(ProxyEvents events)
{
    public Task DenyAsync(
        HttpContext context,
        DenialCode code,
        string? detail,
        int? status = null,
        IReadOnlyDictionary<string, string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        events.RequestDenied(context, code, context.Features.Get<IToolFeature>()?.Tool.Id);
        return ProblemWriter.WriteAsync(context, code, detail, status, extensions);
    }
}

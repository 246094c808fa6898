using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Policy;
using SidecarProxy.Routing;
using Yarp.ReverseProxy.Transforms;

namespace SidecarProxy.Transforms;

/// <summary>
/// Applies the decision's <c>request_headers_to_remove</c> and <c>headers</c> to the outgoing request. Runs after
/// credential stripping, so a policy cannot re-add an agent's header, and before credential injection, so the
/// injected credential wins over anything a policy sets. No decision means the policy stage did not run:
/// deny rather than forward.
/// </summary>
internal sealed class PolicyHeadersTransform(StrippedHeaders stripped, DenialResponder denials) : RequestTransform
{
    public override async ValueTask ApplyAsync(RequestTransformContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var decision = context.HttpContext.Features.Get<IPolicyDecisionFeature>()?.Decision;
        if (decision is not { Allowed: true })
        {
            await denials.DenyAsync(context.HttpContext, DenialCode.PolicyUnavailable, "no policy decision for this request");
            return;
        }

        foreach (var name in decision.HeadersToRemove)
        {
            RemoveHeader(context, name);
        }

        foreach (var (name, value) in decision.HeadersToAdd)
        {
            // Credential headers are the credential stage's alone.
            if (stripped.Contains(name) || string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            RemoveHeader(context, name);
            context.ProxyRequest.Headers.TryAddWithoutValidation(name, value);
        }
    }
}

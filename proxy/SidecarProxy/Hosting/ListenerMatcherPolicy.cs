using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using SidecarProxy.Model;

namespace SidecarProxy.Hosting;

/// <summary>
/// Keeps endpoints on their own listener: health and metrics never answer on the agent port, and tool routes
/// (YARP endpoints, which carry no <see cref="ListenerMetadata"/>) never answer on the operations port. A port
/// check rather than <c>RequireHost</c>, because ports are 0 (ephemeral) in tests and Host is client-controlled.
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // Before YARP's own policies (header/query matchers), so they only see endpoints of the right listener.
    public override int Order => -1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(candidates);

        // A connection without the feature did not come through a sidecar listener: treat it as the agent
        // port, the most restricted one.
        var kind = httpContext.Features.Get<IListenerFeature>()?.Kind ?? ListenerKind.Agent;
        for (var i = 0; i < candidates.Count; i++)
        {
            var required = candidates[i].Endpoint.Metadata.GetMetadata<ListenerMetadata>()?.Kind ?? ListenerKind.Agent;
            if (required != kind)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}

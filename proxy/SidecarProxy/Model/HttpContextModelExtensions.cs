using Microsoft.AspNetCore.Http;

namespace SidecarProxy.Model;

/// <summary>
/// Typed access to what the pipeline stages record on a request (after YARP's <c>HttpContext</c> accessors for its
/// <c>IReverseProxyFeature</c>): the listener, the verified peer, the tool, the task and the decision.
/// </summary>
internal static class HttpContextModelExtensions
{
    /// <summary>
    /// True for a request on the agent listener. A request without a listener feature counts as an agent request
    /// (fail closed: it gets every agent check), which is also what unit tests of single stages rely on.
    /// </summary>
    public static bool IsAgentRequest(this HttpContext context) =>
        (context.Features.Get<IListenerFeature>()?.Kind ?? ListenerKind.Agent) == ListenerKind.Agent;

    /// <summary>The verified agent; only valid in stages after the identity stage, which guarantees it.</summary>
    public static PeerIdentity GetPeerIdentity(this HttpContext context) =>
        context.Features.Get<IPeerIdentityFeature>()?.Result.Identity
        ?? throw new InvalidOperationException("the identity stage has not authenticated this request");

    /// <summary>The verified agent, or null before the identity stage or when the SVID was refused.</summary>
    public static PeerIdentity? FindPeerIdentity(this HttpContext context) =>
        context.Features.Get<IPeerIdentityFeature>()?.Result.Identity;

    /// <summary>The routed tool; only valid in stages after the route stage.</summary>
    public static ToolDescriptor GetTool(this HttpContext context) =>
        context.Features.Get<IToolFeature>()?.Tool
        ?? throw new InvalidOperationException("the route stage has not resolved a tool for this request");

    /// <summary>The routed tool, or null before routing (or for a request that matched no tool).</summary>
    public static ToolDescriptor? FindTool(this HttpContext context) => context.Features.Get<IToolFeature>()?.Tool;

    /// <summary>The verified task of this request, if it carried one.</summary>
    public static TaskContext? FindTask(this HttpContext context) => context.Features.Get<ITaskContextFeature>()?.Task;

    /// <summary>The policy's decision, once the policy stage has run.</summary>
    public static PolicyDecision? FindDecision(this HttpContext context) => context.Features.Get<IPolicyDecisionFeature>()?.Decision;

    /// <summary>The outcome record of an agent request (null on other listeners, and before the first stage).</summary>
    public static RequestOutcome? FindOutcome(this HttpContext context) => context.Features.Get<RequestOutcome>();
}

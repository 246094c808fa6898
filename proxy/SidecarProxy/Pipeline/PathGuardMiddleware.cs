using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Routing;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Path stage, before routing: refuses a request target a tool could read differently than the policy
/// (<c>400 path_rejected</c>), or in normalize mode replaces the path with its normalized form, so that routing,
/// the policy and the forwarded request all use that one path. See <see cref="PathGuard"/>.
/// </summary>
internal sealed class PathGuardMiddleware(RequestDelegate next, DenialResponder denials, IOptions<PathOptions> options)
{
    private readonly PathMode _mode = options.Value.Mode;

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.IsAgentRequest())
        {
            return next(context);
        }

        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var verdict = PathGuard.Check(string.IsNullOrEmpty(raw) ? context.Request.Path.Value ?? "/" : raw, _mode);
        if (verdict.Rejected)
        {
            return denials.DenyAsync(context, DenialCode.PathRejected, verdict.Problem);
        }

        if (verdict.Path is { } path && path != context.Request.Path.Value)
        {
            context.Request.Path = new PathString(path);
        }

        return next(context);
    }
}

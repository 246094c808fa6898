using Microsoft.AspNetCore.Http;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;
using SidecarProxy.Routing;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Policy;

/// <summary>Builds the <see cref="PolicyRequest"/> of an HTTP request, leaving out every stripped header.</summary>
internal sealed class PolicyRequestFactory(StrippedHeaders stripped, TimeProvider time)
{
    public PolicyRequest Create(HttpContext context, PeerIdentity identity, ToolDescriptor tool, TaskContext? task)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(tool);
        var request = context.Request;
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.Ordinal);
        foreach (var (name, values) in request.Headers)
        {
            if (!stripped.Contains(name) && !name.StartsWith(':'))
            {
                headers[name.ToLowerInvariant()] = values.ToString();
            }
        }

        return new PolicyRequest
        {
            SpiffeId = identity.SpiffeId.ToString(),
            CertificateFingerprint = identity.CertificateFingerprint,
            ToolId = tool.Id,
            ToolLabels = tool.Labels,
            Method = request.Method,
            Path = ToolPath(request.Path, tool.PathPrefix),
            Query = request.QueryString.Value ?? string.Empty,
            Host = request.Host.Value ?? string.Empty,
            Scheme = request.Scheme,
            Headers = headers,
            Task = task,
            Containment = context.Features.Get<IContainmentFeature>()?.State,
            Time = time.GetUtcNow(),
            Mcp = context.Features.Get<IMcpPolicyFeature>()?.Context,
        };
    }

    private static string ToolPath(PathString path, string? prefix)
    {
        if (prefix is not null && path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase, out var rest))
        {
            return rest.HasValue ? rest.Value! : "/";
        }

        return path.HasValue ? path.Value! : "/";
    }
}

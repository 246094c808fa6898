using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace SidecarProxy.Credentials;

/// <summary>Serves the sidecar's signing keys so tools and STSs can verify the JWTs it mints.</summary>
internal static class JwksEndpointRouteBuilderExtensions
{
    public const string DefaultPattern = "/.well-known/jwks.json";

    // Short: a verifier that cached the set refetches soon after a rotation; unknown-kid refetch covers the rest.
    private const string CacheControl = "public, max-age=60";

    public static IEndpointConventionBuilder MapJwks(this IEndpointRouteBuilder endpoints, string pattern = DefaultPattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(pattern, (HttpContext context) =>
        {
            var document = context.RequestServices.GetRequiredService<JwksDocumentBuilder>().Build();
            context.Response.Headers.CacheControl = CacheControl;
            return Results.Text(document, JwksDocumentBuilder.ContentType);
        });
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SidecarProxy.Credentials;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Routing;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SidecarProxy.Transforms;

/// <summary>
/// Adds <see cref="InjectCredentialTransform"/> to every route whose <c>Metadata.Credential</c> names a provider,
/// and rejects at configuration time a route naming a provider that is not configured (at start-up this stops
/// the process with the route listed; on reload YARP keeps the last good routes). Registered after
/// <see cref="SidecarTransformProvider"/>, so injection runs after stripping and the policy's headers.
/// </summary>
internal sealed class CredentialTransformProvider(IOptions<CredentialsOptions> options, IServiceProvider services) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var error in CredentialTarget.Validate(context.Route))
        {
            context.Errors.Add(new InvalidOperationException(error));
        }

        if (context.Route.Metadata is null
            || !context.Route.Metadata.TryGetValue(ToolDescriptor.CredentialKey, out var name)
            || string.IsNullOrWhiteSpace(name))
        {
            return;
        }

        var providers = options.Value.Providers;
        if (!providers.ContainsKey(name))
        {
            var configured = providers.Count == 0 ? "none" : string.Join(", ", providers.Keys.Order(StringComparer.Ordinal));
            context.Errors.Add(new InvalidOperationException(
                $"route '{context.Route.RouteId}': Metadata.Credential '{name}' is not a configured provider " +
                $"({CredentialsOptions.SectionName}:<name>; configured: {configured})"));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ToolDescriptor.For(context.Route).Credential is not { } name)
        {
            return;
        }

        // Resolved here, not in the constructor: only routes with a credential need the broker and its providers.
        context.RequestTransforms.Add(new InjectCredentialTransform(
            name,
            CredentialTarget.For(context.Route),
            services.GetRequiredService<CredentialBroker>(),
            services.GetRequiredService<DenialResponder>(),
            services.GetRequiredService<SidecarMetrics>(),
            services.GetRequiredService<TimeProvider>()));
    }
}

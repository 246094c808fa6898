using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Primitives;
using Prometheus;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace SidecarProxy.Observability;

/// <summary>Registers the metrics and connects them to the components they observe.</summary>
internal static class ObservabilityRegistration
{
    public static IServiceCollection AddSidecarObservability(this IServiceCollection services)
    {
        services.TryAddSingleton<SidecarMetrics>();
        services.TryAddSingleton<SeriesCache>();
        return services;
    }
}

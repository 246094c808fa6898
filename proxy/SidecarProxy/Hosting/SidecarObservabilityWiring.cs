using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Prometheus;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Embedded;
using Yarp.ReverseProxy.Configuration;

namespace SidecarProxy.Hosting;

/// <summary>Connects the metrics to the components they observe, once every component is loaded.</summary>
internal static class SidecarObservabilityWiring
{
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Maps <c>/metrics</c> on the operations listener only (the agent port never serves it), pre-creates the series
    /// alerts rely on, and hooks the reload and expiry metrics. Call after identity and policy are loaded.
    /// </summary>
    public static WebApplication UseSidecarObservability(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.Services;
        var metrics = services.GetRequiredService<SidecarMetrics>();

        // Process CPU, memory and GC series, which the default registry has and a custom one does not.
        DotNetStats.Register(metrics.Registry);

        var providers = app.Configuration.GetSection("Sidecar:Credentials").GetChildren().Select(c => c.Key).ToList();
        var proxyConfig = services.GetRequiredService<IProxyConfigProvider>();
        metrics.PreTouch(DenialCode.All.Select(c => c.Value), Tools(proxyConfig.GetConfig()), providers);

        // Tools added by a YARP configuration reload get their zero series too.
        ChangeToken.OnChange(
            () => proxyConfig.GetConfig().ChangeToken,
            () => metrics.PreTouch([], Tools(proxyConfig.GetConfig()), []));

        var identity = services.GetRequiredService<IIdentityMaterialSource>();
        if (identity is IIdentityReloadStatus reloads)
        {
            var failures = metrics.IdentityReloadFailures.WithLabels(reloads.SourceName);
            failures.IncTo(reloads.ReloadFailureCount);
            reloads.ReloadFailed += _ => failures.Inc();
        }

        // The embedded engine reports its own revisions as it reloads (SidecarPolicyRegistration); others are fixed.
        if (services.GetService<IPolicyEngine>() is { } engine and not EmbeddedPolicyEngine)
        {
            metrics.PolicyRevision.WithLabels(engine.Name, engine.Revision).Set(1);
        }

        services.GetRequiredService<IdentityExpiryMetrics>().Register();

        app.MapMetrics(MetricsPath, metrics.Registry).RequireListener(ListenerKind.Operations);
        return app;
    }

    private static IEnumerable<string> Tools(IProxyConfig config) =>
        config.Routes.Select(r => ToolDescriptor.For(r).Id).Distinct(StringComparer.Ordinal);
}

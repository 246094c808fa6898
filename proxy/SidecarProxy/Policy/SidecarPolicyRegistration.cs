using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SidecarProxy.Health;
using SidecarProxy.Observability;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Policy.Opa;

namespace SidecarProxy.Policy;

/// <summary>Registers the policy decision point chosen by <c>Sidecar:Policy:Engine</c>.</summary>
internal static class SidecarPolicyRegistration
{
    public const string OpaHttpClientName = "opa";

    public static IServiceCollection AddSidecarPolicy(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        // A decision point registered earlier (tests, embedding programs) wins; then no engine is loaded.
        if (services.Any(d => d.ServiceType == typeof(IPolicyDecisionPoint)))
        {
            return services;
        }

        var options = configuration.GetSection(PolicyOptions.SectionName).Get<PolicyOptions>() ?? new PolicyOptions();
        options = options with { Directory = ResolveDirectory(options.Directory) };
        services.AddSingleton(options);
        services.TryAddSingleton<SidecarMetrics>();
        services.TryAddSingleton(TimeProvider.System);

        if (options.IsOpa)
        {
            // A pooled client (IHttpClientFactory) whose timeout is the policy deadline.
            services.AddHttpClient(OpaHttpClientName, client =>
            {
                client.BaseAddress = new Uri(options.OpaUrl.ToString().TrimEnd('/') + "/");
                client.Timeout = options.Timeout;
            });
            services.AddSingleton(sp => new OpaClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(OpaHttpClientName)));
            services.AddSingleton<OpaPolicyEngine>();
            services.AddSingleton<IPolicyEngine>(sp => sp.GetRequiredService<OpaPolicyEngine>());
        }
        else
        {
            services.AddSingleton(sp =>
            {
                var engine = new EmbeddedPolicyEngine(options, sp.GetRequiredService<ILogger<EmbeddedPolicyEngine>>(), sp.GetRequiredService<TimeProvider>());
                var metrics = sp.GetRequiredService<SidecarMetrics>();
                metrics.PolicyReloads.Inc();
                metrics.PolicyRevision.WithLabels(engine.Name, engine.Revision).Set(1);
                engine.Reloaded += (ok, revision) =>
                {
                    if (!ok)
                    {
                        metrics.PolicyReloadFailures.Inc();
                        return;
                    }

                    metrics.PolicyReloads.Inc();
                    foreach (var labels in metrics.PolicyRevision.GetAllLabelValues().ToList())
                    {
                        metrics.PolicyRevision.RemoveLabelled(labels);
                    }

                    metrics.PolicyRevision.WithLabels(engine.Name, revision).Set(1);
                };
                return engine;
            });
            services.AddSingleton<IPolicyEngine>(sp => sp.GetRequiredService<EmbeddedPolicyEngine>());
        }

        services.AddSingleton<IPolicyDecisionPoint, EnginePolicyDecisionPoint>();
        services.AddSingleton<IReadinessCheck, PolicyReadinessCheck>();
        return services;
    }

    /// <summary>
    /// Loads the policy now, so that a bad policy or policy configuration stops the process at start-up
    /// with every error listed rather than failing the first request. Returns the errors (empty when fine).
    /// </summary>
    public static IReadOnlyList<string> StartPolicy(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetService<PolicyOptions>();
        if (options is null)
        {
            return [];
        }

        var errors = options.Validate();
        if (errors.Count > 0)
        {
            return errors;
        }

        try
        {
            _ = services.GetRequiredService<IPolicyEngine>();
            return [];
        }
        catch (PolicyLoadException e)
        {
            return e.Errors.Select(err => "Sidecar:Policy: " + err).ToList();
        }
    }

    // A relative directory is looked up from the working directory first (dotnet run from the repository),
    // then beside the executable (published builds carry a copy of policies/).
    private static string ResolveDirectory(string directory)
    {
        if (Path.IsPathRooted(directory) || Directory.Exists(directory))
        {
            return directory;
        }

        var besideBinary = Path.Combine(AppContext.BaseDirectory, directory);
        return Directory.Exists(besideBinary) ? besideBinary : directory;
    }
}

/// <summary>/readyz: a policy is loaded (embedded) or the OPA server answers its health endpoint (opa).</summary>
internal sealed class PolicyReadinessCheck(IServiceProvider services, PolicyOptions options) : IReadinessCheck
{
    public string Name => "policy";

    public async ValueTask<ReadinessResult> CheckAsync(CancellationToken ct)
    {
        var engine = services.GetRequiredService<IPolicyEngine>();
        if (engine is OpaPolicyEngine opa)
        {
            var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(SidecarPolicyRegistration.OpaHttpClientName);
            return await opa.CheckHealthAsync(http, ct)
                ? ReadinessResult.Healthy($"OPA at {options.OpaUrl} answers")
                : ReadinessResult.Unhealthy($"OPA at {options.OpaUrl} does not answer");
        }

        return engine.IsReady
            ? ReadinessResult.Healthy($"revision {engine.Revision}")
            : ReadinessResult.Unhealthy("no policy loaded");
    }
}

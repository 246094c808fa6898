using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Audit;
using SidecarProxy.Configuration;
using SidecarProxy.Credentials;
using SidecarProxy.Denials;
using SidecarProxy.Dev;
using SidecarProxy.Health;
using SidecarProxy.Identity;
using SidecarProxy.Identity.WorkloadApi;
using SidecarProxy.Observability;
using SidecarProxy.Pipeline;
using SidecarProxy.Policy;
using SidecarProxy.Revocation;
using SidecarProxy.Routing;
using SidecarProxy.TaskGrants;
using SidecarProxy.Transforms;

namespace SidecarProxy.Hosting;

/// <summary>
/// Composes the sidecar: configuration, services, listeners and the pipeline. Used by <c>Program</c> and by the
/// functional tests, which pass <c>configure</c> to add configuration and replace seams before registration.
/// </summary>
internal static class SidecarApplication
{
    /// <summary>
    /// Builds a ready-to-run application, or throws <see cref="StartupException"/> listing every configuration
    /// error. Identity files are loaded here, so a bad identity stops the process before it listens.
    /// </summary>
    public static WebApplication Build(
        string[] args,
        Action<WebApplicationBuilder>? configure = null,
        string? contentRoot = null,
        string? environment = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            EnvironmentName = environment,

            // appsettings*.json are copied next to the binary; this finds them whatever the working directory.
            ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        AddEnvironmentDefaults(builder);
        AddSidecarServices(builder.Services, builder.Configuration);

        // Building the host already constructs Kestrel and, through its TLS setup, reads the options.
        var app = Validated(builder.Build);
        var options = Validated(() => app.Services.GetRequiredService<IOptions<SidecarOptions>>().Value);
        ValidateComponentOptions(app.Services);
        StartIdentity(app.Services);
        RevocationServiceCollectionExtensions.StartRevocations(app.Services);
        var policyErrors = SidecarPolicyRegistration.StartPolicy(app.Services);
        if (policyErrors.Count > 0)
        {
            throw new StartupException(policyErrors);
        }

        try
        {
            app.UseSidecarPipeline();
        }
        catch (InvalidOperationException ex) when (ex.InnerException is AggregateException inner)
        {
            // YARP's first configuration load throws with every route/cluster error inside.
            throw new StartupException([.. inner.InnerExceptions.Select(e => "ReverseProxy: " + e.Message)]);
        }

        app.UseSidecarObservability();

        if (app.Environment.IsDevelopment() && options.Dev.DemoUpstream is not null)
        {
            app.MapDemoUpstream();
        }

        return app;
    }

    private static void AddEnvironmentDefaults(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var defaults = new Dictionary<string, string?>();
        var socket = Environment.GetEnvironmentVariable("SPIFFE_ENDPOINT_SOCKET");
        var identity = configuration.GetSection("Sidecar:Identity");
        var hasFiles = identity["ServerCertificate"] is not null || identity["ServerKey"] is not null
            || identity.GetSection("TrustBundles").GetChildren().Any();
        if (identity["WorkloadApi"] is null && !string.IsNullOrEmpty(socket))
        {
            defaults["Sidecar:Identity:WorkloadApi"] = socket;
        }

        // Development only: a newcomer gets a working identity without reading about SPIFFE first. Never in any
        // other environment, where a missing identity must stop the process.
        if (builder.Environment.IsDevelopment() && !hasFiles && identity["WorkloadApi"] is null
            && string.IsNullOrEmpty(socket))
        {
            var directory = configuration["Sidecar:Dev:IdentityDirectory"] ?? new DevOptions().IdentityDirectory;
            var dev = DevIdentity.EnsureCreated(directory, TimeProvider.System);
            defaults["Sidecar:Identity:ServerCertificate"] = dev.SidecarCertificate;
            defaults["Sidecar:Identity:ServerKey"] = dev.SidecarKey;
            defaults["Sidecar:Identity:TrustBundles:" + DevCertificateAuthority.TrustDomain] = dev.CaCertificate;
            var listen = configuration["Sidecar:Listen"] ?? new SidecarOptions().Listen;
            Console.WriteLine($"Development identity in {dev.Directory}. Try:{Environment.NewLine}  {dev.CurlExample(listen)}");
        }

        if (defaults.Count > 0)
        {
            configuration.AddInMemoryCollection(defaults);
        }
    }

    private static void AddSidecarServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SidecarOptions>()
            .Bind(configuration.GetSection(SidecarOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SidecarOptions>, SidecarOptionsValidator>();

        // Seams: TryAdd, so whatever was registered before (tests, other components) wins.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SidecarMetrics>();
        services.AddSidecarPolicy(configuration);
        services.TryAddSingleton<IPolicyDecisionPoint, DenyAllPolicyDecisionPoint>();
        services.AddSidecarRevocations(configuration);
        services.AddSidecarCredentials(configuration);
        services.TryAddSingleton<ITaskContextResolver, TaskGrantContextResolver>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStrippedHeaderSource, CredentialStrippedHeaderSource>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProxyEvents, AuditProxyEvents>());

        AddIdentitySource(services, configuration);
        services.TryAddSingleton<IIdentityMaterialSource, UnavailableIdentityMaterialSource>();
        services.AddSingleton<X509SvidValidator>();
        services.AddSingleton<AgentTlsHandshake>();
        services.AddSingleton<SidecarListeners>();
        services.AddSingleton<AgentConnectionRegistry>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, SidecarKestrelSetup>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());

        services.AddSidecarObservability();
        services.AddSingleton<ProxyEvents>();
        services.AddSingleton<DenialResponder>();
        services.AddSingleton<StrippedHeaders>();
        services.AddSingleton<PolicyRequestFactory>();
        services.AddSingleton<IReadinessCheck, IdentityReadinessCheck>();

        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddTransforms<SidecarTransformProvider>()
            .AddTransforms<CredentialTransformProvider>();
    }

    private static void AddIdentitySource(IServiceCollection services, IConfiguration configuration)
    {
        var identity = configuration.GetSection("Sidecar:Identity").Get<IdentityOptions>() ?? new IdentityOptions();
        if (!identity.UsesFiles)
        {
            // Files win when both are configured: an explicit file layout is a deliberate operator choice,
            // while SPIFFE_ENDPOINT_SOCKET may merely be inherited from the pod's environment.
            if (WorkloadApiServiceCollectionExtensions.IsWorkloadApiConfigured(configuration))
            {
                services.AddWorkloadApiIdentity(configuration);
            }

            return;
        }

        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SidecarOptions>>().Value.Identity;
            var files = new IdentityFiles(options.ServerCertificate!, options.ServerKey!, options.TrustBundles);
            return new FileIdentityMaterialSource(
                files,
                options.PollInterval,
                options.Debounce,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<FileIdentityMaterialSource>>());
        });
        services.TryAddSingleton<IIdentityMaterialSource>(sp => sp.GetRequiredService<FileIdentityMaterialSource>());
        services.TryAddSingleton<IIdentityReloadStatus>(sp => sp.GetRequiredService<FileIdentityMaterialSource>());
    }

    private static T Validated<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (OptionsValidationException ex)
        {
            throw new StartupException([.. ex.Failures]);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's own errors (e.g. "abc" for a TimeSpan) name the key in the message.
            throw new StartupException([ex.Message]);
        }
    }

    // Checked before YARP's first configuration load, which reads the credential providers: every error of
    // every component is listed at once, as a StartupException rather than a failure inside route loading.
    private static void ValidateComponentOptions(IServiceProvider services)
    {
        var errors = new List<string>();
        Collect<CredentialsOptions>(services, errors);
        Collect<TaskGrantOptions>(services, errors);
        Collect<AuditOptions>(services, errors);
        if (errors.Count > 0)
        {
            throw new StartupException(errors);
        }
    }

    private static void Collect<T>(IServiceProvider services, List<string> errors)
        where T : class
    {
        try
        {
            _ = services.GetRequiredService<IOptions<T>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add(ex.Message);
        }
    }

    private static void StartIdentity(IServiceProvider services)
    {
        var source = services.GetRequiredService<IIdentityMaterialSource>();
        if (source is UnavailableIdentityMaterialSource)
        {
            // Unreachable through validation (which requires files or WorkloadApi); kept so a gap fails closed.
            throw new StartupException(
                "Sidecar:Identity: no identity source is available; configure identity files or WorkloadApi");
        }

        if (source is FileIdentityMaterialSource files)
        {
            try
            {
                files.Start();
            }
            catch (IdentityLoadException ex)
            {
                throw new StartupException(["Sidecar:Identity: " + ex.Message]);
            }
        }
    }
}

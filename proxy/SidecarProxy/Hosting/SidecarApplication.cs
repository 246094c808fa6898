using System.Diagnostics.CodeAnalysis;
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
using SidecarProxy.Signals;
using SidecarProxy.Admin;
using SidecarProxy.Approvals;
using SidecarProxy.Audit;
using SidecarProxy.Configuration;
using SidecarProxy.Credentials;
using SidecarProxy.Denials;
using SidecarProxy.Dev;
using SidecarProxy.Health;
using SidecarProxy.Identity;
using SidecarProxy.Identity.WorkloadApi;
using SidecarProxy.Mcp;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Pipeline;
using SidecarProxy.Policy;
using SidecarProxy.Revocation;
using SidecarProxy.Routing;
using SidecarProxy.Spiffe;
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
    /// error: unknown keys and bad values (before binding, so each bad value is its own line), every component's
    /// options validator, identity files, the policy and the YARP routes. Identity files are loaded here, so a
    /// bad identity stops the process before it listens. Start it with <see cref="StartAsync"/>, which reports a
    /// listener that cannot bind the same way.
    /// </summary>
    public static WebApplication Build(
        string[] args,
        Action<WebApplicationBuilder>? configure = null,
        string? contentRoot = null,
        string? environment = null)
    {
        SidecarKestrelSetup.RequireCrLfLineTerminators();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            EnvironmentName = environment,

            // appsettings*.json are copied next to the binary; this finds them whatever the working directory.
            ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
        });

        // The host logs a failed start (e.g. a port in use) with its stack trace; Program reports it as one line.
        // Critical still shows a background service that stops the host.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        configure?.Invoke(builder);

        // 1. Keys and values, before anything binds: unknown keys, and every value that does not convert. Bad values
        //    are replaced by their defaults for the binder (which would stop at the first one), so that every other
        //    check still runs; the process stops anyway.
        var check = ConfigurationSchema.Check(builder.Configuration);
        var errors = new List<string>(check.Errors);
        if (check.InvalidValues.Count > 0)
        {
            builder.Configuration.AddInMemoryCollection(check.InvalidValues);
        }

        try
        {
            AddEnvironmentDefaults(builder);
            AddSidecarServices(builder.Services, builder.Configuration);
        }
        catch (InvalidOperationException ex)
        {
            throw new StartupException([.. errors, OneLine(ex.Message)]);
        }

        // 2. Every component's options validators. The listeners need valid Sidecar options to be built at all;
        //    without them, identity files and the policy are still checked, without building the application.
        var sidecarValid = ValidateAllOptions(builder.Services, builder.Configuration, errors);
        if (!sidecarValid)
        {
            throw new StartupException(errors);
        }

        // Building the host already constructs Kestrel and, through its TLS setup, reads the options.
        WebApplication app;
        try
        {
            app = builder.Build();
        }
        catch (OptionsValidationException ex)
        {
            throw new StartupException([.. errors, .. ex.Failures.Select(OneLine)]);
        }
        catch (InvalidOperationException ex)
        {
            throw new StartupException([.. errors, OneLine(ex.Message)]);
        }

        try
        {
            // 3. Identity, policy and routes, each with every error it finds.
            errors.AddRange(StartIdentity(app.Services));
            try
            {
                // Known revocations are in force before any listener accepts a connection.
                RevocationServiceCollectionExtensions.StartRevocations(app.Services);
            }
            catch (StartupException ex)
            {
                errors.AddRange(ex.Errors);
            }

            errors.AddRange(SidecarPolicyRegistration.StartPolicy(app.Services));
            try
            {
                app.UseSidecarPipeline();
            }
            catch (InvalidOperationException ex) when (ex.InnerException is AggregateException inner)
            {
                // YARP's first configuration load throws with every route/cluster error inside.
                // A route that a component with failed options would have checked: that failure is listed already.
                errors.AddRange(inner.InnerExceptions
                    .Where(e => e is not OptionsValidationException && e.InnerException is not OptionsValidationException)
                    .Select(e => "ReverseProxy: " + OneLine(e.Message)));
            }
            catch (Exception) when (errors.Count > 0)
            {
                // Routes cannot be loaded without the options that failed above; those errors are listed.
            }

            if (errors.Count > 0)
            {
                throw new StartupException(errors);
            }

            app.UseSidecarObservability();
            if (app.Environment.IsDevelopment() && app.Services.GetRequiredService<IOptions<SidecarOptions>>().Value.Dev.DemoUpstream is not null)
            {
                app.MapDemoUpstream();
            }

            return app;
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the listeners. A listener that cannot bind (a port in use, an address not on this host) throws
    /// <see cref="StartupException"/> naming its key, e.g. <c>Sidecar:Listen: address https://127.0.0.1:15443 is
    /// already in use</c>; the application is disposed.
    /// </summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            var error = DescribeBindFailure(app, ex);
            await app.DisposeAsync();
            throw new StartupException(error);
        }
    }

    private static string DescribeBindFailure(WebApplication app, IOException ex)
    {
        var options = app.Services.GetRequiredService<IOptions<SidecarOptions>>().Value;
        List<(string Key, string? Url, string Scheme)> listeners =
        [
            ("Sidecar:Listen", options.Listen, "https"),
            ("Sidecar:Metrics:Listen", options.Metrics.Listen, "http"),
            ("Sidecar:Admin:Listen", options.Admin.Listen, "https"),
        ];
        if (app.Environment.IsDevelopment())
        {
            listeners.Add(("Sidecar:Dev:DemoUpstream", options.Dev.DemoUpstream, "http"));
        }

        var inUse = ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException;
        foreach (var (key, url, scheme) in listeners)
        {
            if (!ListenAddress.TryParse(url, scheme, out var address))
            {
                continue;
            }

            // Kestrel names the endpoint as scheme://ip:port in its message.
            var display = $"{scheme}://{new System.Net.IPEndPoint(address!.Address, address.Port)}";
            if (ex.Message.Contains(display + ":", StringComparison.OrdinalIgnoreCase)
                || ex.Message.Contains(display + " ", StringComparison.OrdinalIgnoreCase))
            {
                return inUse
                    ? $"{key}: address {display} is already in use"
                    : $"{key}: cannot listen on {display}: {OneLine(ex.InnerException?.Message ?? ex.Message)}";
            }
        }

        return "Sidecar: cannot listen: " + OneLine(ex.Message);
    }

    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static void AddEnvironmentDefaults(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var defaults = new Dictionary<string, string?>();
        var socket = WorkloadApiOptions.EndpointSocketFromEnvironment();
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

            // Printed by Program once the listeners are bound, with the port actually bound.
            builder.Services.AddSingleton(dev);
        }

        if (defaults.Count > 0)
        {
            configuration.AddInMemoryCollection(defaults);
        }
    }

    // Each concern registers itself; this is the one list of them, and of the wiring that belongs to no concern.
    [SuppressMessage("Performance", "CA1859:Use concrete types when possible for improved performance", Justification = "Runs once at startup; the wiring reads configuration through IConfiguration, as every AddSidecar* it calls does, not through the builder's ConfigurationManager.")]
    private static void AddSidecarServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SidecarOptions>()
            .Bind(configuration.GetSection(SidecarOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SidecarOptions>, SidecarOptionsValidator>();
        services.AddOptions<LimitsOptions>()
            .Bind(configuration.GetSection(LimitsOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddOptions<PathOptions>()
            .Bind(configuration.GetSection(PathOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PathOptions>, PathOptionsValidator>();

        // Seams: TryAdd, so whatever was registered before (tests, other components) wins.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSidecarObservability();
        services.AddSidecarIdentity(configuration);
        services.AddSidecarPolicy(configuration);
        services.AddSidecarRevocations(configuration);
        services.AddSidecarAdmin(configuration);
        services.AddSidecarSignals();
        services.AddSidecarApprovals(configuration);
        services.AddSidecarApprovalConsole(configuration);
        services.AddSidecarTaskGrants(configuration);
        services.AddSidecarCredentials(configuration);
        services.AddSidecarAudit(configuration);

        // The pipeline's own pieces (see SidecarPipeline for their order).
        services.TryAddSingleton<ITaskContextResolver, TaskGrantContextResolver>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStrippedHeaderSource, CredentialStrippedHeaderSource>());
        services.AddSingleton<DenialResponder>();
        services.AddSingleton<StrippedHeaders>();
        services.AddSingleton<PolicyRequestFactory>();
        services.AddSidecarMcp(configuration);

        // Listeners.
        services.AddSingleton<SidecarListeners>();
        services.AddSingleton<IListenerUrls>(sp => sp.GetRequiredService<SidecarListeners>());
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, SidecarKestrelSetup>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());

        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddTransforms<SidecarTransformProvider>()
            .AddTransforms<CredentialTransformProvider>()
            .AddTransforms<McpRouteValidator>();
    }

    // Resolves the options of every type of this assembly that has a validator registered (so a new component's
    // validator needs no change here), in a throw-away container, and collects every failure. Returns whether the
    // Sidecar options are valid, without which the application cannot be built; then it also checks the identity
    // files and the policy here, so that their errors are listed too.
    private static bool ValidateAllOptions(IServiceCollection services, IConfiguration configuration, List<string> errors)
    {
        var types = services
            .Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IValidateOptions<>))
            .Select(t => t.GetGenericArguments()[0])
            .Where(t => t.Assembly == typeof(SidecarApplication).Assembly)
            .Distinct()
            .ToList();
        var sidecarValid = true;
        using var provider = services.BuildServiceProvider();
        foreach (var type in types)
        {
            var options = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(type));
            try
            {
                _ = options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options);
            }
            catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is OptionsValidationException failure)
            {
                errors.AddRange(failure.Failures.Select(OneLine));
                sidecarValid &= type != typeof(SidecarOptions);
            }
            catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is InvalidOperationException failure)
            {
                errors.Add(OneLine(failure.Message));
                sidecarValid &= type != typeof(SidecarOptions);
            }
        }

        if (!sidecarValid)
        {
            errors.AddRange(CheckIdentityFiles(configuration));
            errors.AddRange(SidecarPolicyRegistration.StartPolicy(provider));
        }

        return sidecarValid;
    }

    // Without valid Sidecar options: loads the identity files once if they are all there, to list their errors too.
    private static IEnumerable<string> CheckIdentityFiles(IConfiguration configuration)
    {
        IdentityOptions? identity;
        try
        {
            identity = configuration.GetSection("Sidecar:Identity").Get<IdentityOptions>();
        }
        catch (InvalidOperationException)
        {
            yield break;
        }

        if (identity is not { ServerCertificate: { } certificate, ServerKey: { } key } || identity.TrustBundles.Count == 0
            || !File.Exists(certificate) || !File.Exists(key) || !identity.TrustBundles.Values.All(File.Exists)
            || !identity.TrustBundles.Keys.All(td => TrustDomain.TryParse(td, out _, out _)))
        {
            yield break;
        }

        var files = new IdentityFiles(certificate, key, identity.TrustBundles);
        string? error = null;
        try
        {
            _ = PemIdentityLoader.Load(files);
        }
        catch (IdentityLoadException ex)
        {
            error = IdentityError(files, ex.Message);
        }

        if (error is not null)
        {
            yield return error;
        }
    }

    // "Sidecar:Identity:ServerKey: server key '...' is unreadable ...": the key of the first file the message names.
    private static string IdentityError(IdentityFiles files, string message)
    {
        var candidates = new List<(string Key, string Path)>
        {
            ("Sidecar:Identity:ServerCertificate", files.ServerCertificate),
            ("Sidecar:Identity:ServerKey", files.ServerKey),
        };
        candidates.AddRange(files.TrustBundles.Select(b => ("Sidecar:Identity:TrustBundles:" + b.Key, b.Value)));
        var named = candidates
            .Select(c => (c.Key, Index: message.IndexOf("'" + c.Path + "'", StringComparison.Ordinal)))
            .Where(c => c.Index >= 0)
            .OrderBy(c => c.Index)
            .Select(c => c.Key)
            .FirstOrDefault();
        return $"{named ?? "Sidecar:Identity"}: {OneLine(message)}";
    }

    private static IEnumerable<string> StartIdentity(IServiceProvider services)
    {
        var source = services.GetRequiredService<IIdentityMaterialSource>();
        if (source is UnavailableIdentityMaterialSource)
        {
            // Unreachable through validation (which requires files or WorkloadApi); kept so a gap fails closed.
            return ["Sidecar:Identity: no identity source is available; configure identity files or WorkloadApi"];
        }

        if (source is FileIdentityMaterialSource files)
        {
            try
            {
                files.Start();
            }
            catch (IdentityLoadException ex)
            {
                var options = services.GetRequiredService<IOptions<SidecarOptions>>().Value.Identity;
                return [IdentityError(new IdentityFiles(options.ServerCertificate!, options.ServerKey!, options.TrustBundles), ex.Message)];
            }
        }

        return [];
    }
}

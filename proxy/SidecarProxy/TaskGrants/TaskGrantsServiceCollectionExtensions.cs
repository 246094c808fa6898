using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SidecarProxy.TaskGrants;

internal static class TaskGrantsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="TaskGrantValidator"/> with its options (<c>Sidecar:TaskGrants</c>) and key source.</summary>
    public static IServiceCollection AddSidecarTaskGrants(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<TaskGrantOptions>()
            .Bind(configuration.GetSection(TaskGrantOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TaskGrantOptions>, TaskGrantOptionsValidator>());
        services.AddHttpClient(UrlJwksKeySource.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .RedactLoggedHeaders(_ => true);
        services.TryAddSingleton<ITaskGrantKeySource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TaskGrantOptions>>().Value;
            if (!string.IsNullOrWhiteSpace(options.JwksPath))
            {
                return new FileJwksKeySource(options.JwksPath, sp.GetRequiredService<ILogger<FileJwksKeySource>>());
            }

            return options.JwksUrl is { } url
                ? new UrlJwksKeySource(url, options, sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<UrlJwksKeySource>>())
                : new NoTaskGrantKeySource();
        });
        services.TryAddSingleton<TaskGrantValidator>();
        return services;
    }
}

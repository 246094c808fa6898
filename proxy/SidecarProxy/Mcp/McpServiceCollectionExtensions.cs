using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SidecarProxy.Mcp;

internal static class McpServiceCollectionExtensions
{
    /// <summary>Options, the session store and the response filter of the MCP stage.</summary>
    public static IServiceCollection AddSidecarMcp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<McpOptions>()
            .Bind(configuration.GetSection(McpOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpOptions>, McpOptionsValidator>());
        services.TryAddSingleton<McpSessionStore>();
        services.TryAddSingleton<McpApprovals>();
        services.TryAddSingleton<McpListChanges>();
        services.TryAddSingleton<McpElicitationCompletions>();
        return services;
    }
}

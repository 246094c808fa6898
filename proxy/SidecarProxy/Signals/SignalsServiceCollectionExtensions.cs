using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SidecarProxy.Admin;

namespace SidecarProxy.Signals;

internal static class SignalsServiceCollectionExtensions
{
    /// <summary>The RFC 8935 push endpoint's receiver: Security Event Tokens from the configured transmitters.</summary>
    public static IServiceCollection AddSidecarSignals(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, TransmitterOptionsValidator>());
        services.TryAddSingleton<SetReceiver>();
        return services;
    }
}

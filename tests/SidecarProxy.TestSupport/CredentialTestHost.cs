using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.Audit;
using SidecarProxy.Credentials;
using SidecarProxy.Model;
using SidecarProxy.Observability;
using SidecarProxy.Spiffe;

namespace SidecarProxy.TestSupport;

/// <summary>The DI container AddSidecarCredentials and AddSidecarAudit build, with a manual clock and captured logs.</summary>
public sealed class CredentialTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public CredentialTestHost(Dictionary<string, string?> settings, ManualTimeProvider? time = null, CapturingLoggerProvider? logs = null)
    {
        Time = time ?? new ManualTimeProvider();
        Logs = logs ?? new CapturingLoggerProvider();
        settings.TryAdd("Sidecar:Audit:Path", "-");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<ISidecarIdentity>(new FixedSidecarIdentity(SidecarId));
        services.AddSidecarObservability();
        services.AddSidecarCredentials(configuration);
        services.AddSidecarAudit(configuration);
        _services = services.BuildServiceProvider();
    }

    public const string SidecarId = "spiffe://agents.example.org/sidecar";

    public ManualTimeProvider Time { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _services;

    internal CredentialBroker Broker => _services.GetRequiredService<CredentialBroker>();

    internal JwksDocumentBuilder Jwks => _services.GetRequiredService<JwksDocumentBuilder>();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private sealed class FixedSidecarIdentity(string id) : ISidecarIdentity
    {
        public string? SpiffeId => id;
    }
}

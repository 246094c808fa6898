using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.TaskGrants;

namespace SidecarProxy.TestSupport;

/// <summary>The validator as AddSidecarTaskGrants wires it, with a manual clock and captured logs.</summary>
public sealed class TaskGrantHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public TaskGrantHost(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        services.AddSingleton<TimeProvider>(Time);
        services.AddSidecarTaskGrants(configuration);
        _services = services.BuildServiceProvider();
    }

    public ManualTimeProvider Time { get; } = new();

    public CapturingLoggerProvider Logs { get; } = new();

    internal TaskGrantValidator Validator => _services.GetRequiredService<TaskGrantValidator>();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

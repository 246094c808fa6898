using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SidecarProxy.Audit;
using SidecarProxy.Credentials;
using SidecarProxy.Tests.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Audit;

public sealed class AuditHostedServiceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task HostShutdown_DrainsEveryQueuedRecord()
    {
        var path = _dir.PathOf("audit.jsonl");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["Sidecar:Audit:Path"] = path;
        builder.Services.AddSidecarAudit(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<AuditWriter>();

        for (var i = 0; i < 500; i++)
        {
            Assert.True(writer.TryWrite(AuditWriterTests.Record(i)));
        }

        await host.StopAsync();

        Assert.Equal(500, (await File.ReadAllLinesAsync(path)).Length);
    }
}

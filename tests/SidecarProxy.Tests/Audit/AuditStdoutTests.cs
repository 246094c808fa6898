using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Audit;

namespace SidecarProxy.Tests.Audit;

[CollectionDefinition(Name, DisableParallelization = true)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xUnit collection definition; the Collection suffix is xUnit's naming convention for them.")]
public sealed class ConsoleCollection
{
    public const string Name = "Console redirection";
}

[Collection(ConsoleCollection.Name)]
public sealed class AuditStdoutTests
{
    [Fact]
    public async Task DashPath_WritesJsonLinesToStandardOutput_AndLeavesItOpen()
    {
        var original = AuditWriter.OpenStandardOutput;
        var stdout = new CapturingStream();
        AuditWriter.OpenStandardOutput = () => stdout;
        try
        {
            var writer = new AuditWriter(Options.Create(new AuditOptions { Path = "-" }), NullLogger<AuditWriter>.Instance);
            for (var i = 0; i < 3; i++)
            {
                writer.TryWrite(AuditWriterTests.Record(i));
            }

            await writer.DisposeAsync();
        }
        finally
        {
            AuditWriter.OpenStandardOutput = original;
        }

        Assert.Equal(3, stdout.Lines.Length);
        Assert.Equal("req-2", JsonDocument.Parse(stdout.Lines[2]).RootElement.GetProperty("request_id").GetString());

        // The process's stdout is not the audit writer's to close.
        Assert.False(stdout.Disposed);
    }
}

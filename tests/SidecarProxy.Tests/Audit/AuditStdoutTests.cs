using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Audit;

namespace SidecarProxy.Tests.Audit;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console redirection";
}

[Collection(ConsoleCollection.Name)]
public sealed class AuditStdoutTests
{
    [Fact]
    public async Task DashPath_WritesJsonLinesToStdout()
    {
        var original = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
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
            Console.SetOut(original);
        }

        var lines = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("req-2", JsonDocument.Parse(lines[2]).RootElement.GetProperty("request_id").GetString());
    }
}

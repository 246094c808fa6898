using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using SidecarProxy.TestSupport;

namespace SidecarProxy.FunctionalTests.Hostile;

/// <summary>
/// One sidecar for the hostile-HTTP tests: path tools <c>echo</c> and <c>other</c>, Host tool <c>hosttool.test</c>, an
/// allow-all policy (so only the sidecar's own guards refuse), small limits (1 KiB bodies, 4 KiB headers) and an
/// audit file. Tests find their own requests by a unique marker; the collection runs them one at a time, so a
/// denial counter read before and after a request counts that request.
/// </summary>
public sealed class HostileFixture : IAsyncLifetime
{
    public const int MaxBody = 1024;
    public const int MaxHeaders = 4096;

    private readonly string _audit = Path.Combine(Path.GetTempPath(), $"sidecar-hostile-{Guid.NewGuid():N}.jsonl");
    private SidecarTestBed _bed = null!;

    internal SidecarTestBed Bed => _bed;

    public RecordingUpstream Upstream => _bed.Upstream;

    public async Task InitializeAsync() =>
        _bed = await StartBedAsync(new()
        {
            ["Sidecar:Limits:MaxRequestBodySize"] = MaxBody.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sidecar:Limits:MaxRequestHeadersTotalSize"] = MaxHeaders.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sidecar:Audit:Path"] = _audit,
        });

    internal static Task<SidecarTestBed> StartBedAsync(Dictionary<string, string?> settings) =>
        SidecarTestBed.Create()
            .WithTool("echo")
            .WithTool("other")
            .WithHostTool("hosttool", "hosttool.test")
            .WithAllowAllPolicy()
            .WithSettings(settings)
            .StartAsync();

    internal Task<RawAgentConnection> OpenAsync(string protocol = "http/1.1", string sni = "localhost") => OpenAsync(_bed, protocol, sni);

    internal static async Task<RawAgentConnection> OpenAsync(SidecarTestBed bed, string protocol = "http/1.1", string sni = "localhost")
    {
        using var leaf = bed.Root.IssueSvid(SidecarTestBed.AgentId);
        return await RawAgentConnection.OpenAsync(bed.Proxy.AgentUrl, leaf, bed.Identity.ServerCa.Certificate, protocol, sni);
    }

    public async Task<double> DenialsAsync(string code) =>
        (await _bed.ScrapeAsync())[$"sidecar_denials_total{{reason=\"{code}\"}}"];

    /// <summary>Whether any request carrying <paramref name="marker"/> reached the upstream, in any form.</summary>
    public bool UpstreamSaw(string marker) => UpstreamSaw(_bed, marker);

    internal static bool UpstreamSaw(SidecarTestBed bed, string marker) =>
        bed.Upstream.Requests.Any(r => r.RawTarget.Contains(marker, StringComparison.Ordinal) || r.Path.Contains(marker, StringComparison.Ordinal));

    public bool PolicyAsked(string marker) =>
        _bed.Policy.Requests.Any(r => r.Path.Contains(marker, StringComparison.Ordinal));

    /// <summary>The audit line of the request whose path contains <paramref name="marker"/>, once it is written.</summary>
    public async Task<JsonElement?> AuditLineAsync(string marker)
    {
        JsonElement? found = null;
        await Eventually.TrueAsync(() =>
        {
            if (!File.Exists(_audit))
            {
                return false;
            }

            using var stream = new FileStream(_audit, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            found = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .Where(l => l.GetProperty("path").GetString()!.Contains(marker, StringComparison.Ordinal))
                .Cast<JsonElement?>()
                .FirstOrDefault();
            return found is not null;
        });
        return found;
    }

    public static string Marker() => "m" + Guid.NewGuid().ToString("N")[..12];

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        File.Delete(_audit);
    }
}

[CollectionDefinition(Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xUnit collection definition; the Collection suffix is xUnit's naming convention for them.")]
public sealed class HostileCollection : ICollectionFixture<HostileFixture>
{
    public const string Name = "Hostile HTTP";
}

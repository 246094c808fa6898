using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using SidecarProxy.Denials;
using SidecarProxy.Observability;

namespace SidecarProxy.Benchmarks;

/// <summary>What the metrics stages add to each request: a counter increment and two histogram observations.</summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private SidecarMetrics _metrics = null!;
    private SeriesCache _series = null!;

    [GlobalSetup]
    public void Setup()
    {
        _metrics = new SidecarMetrics();
        _series = new SeriesCache(_metrics);
        _metrics.PreTouch(DenialCode.All.Select(c => c.Value), ["demo"], []);
    }

    /// <summary>The cached children the pipeline uses.</summary>
    [Benchmark(Baseline = true)]
    public void RecordAllowedRequest()
    {
        var start = Stopwatch.GetTimestamp();
        var tool = _series.Tool("demo");
        tool.UpstreamDuration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        tool.Requests(Decisions.Allow, 200).Inc();
        tool.RequestDuration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>The same through prometheus-net's WithLabels on every call, for comparison.</summary>
    [Benchmark]
    public void RecordAllowedRequestWithLabels()
    {
        var start = Stopwatch.GetTimestamp();
        _metrics.UpstreamDuration.WithLabels("demo").Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        _metrics.Requests.WithLabels("demo", "allow", "200").Inc();
        _metrics.RequestDuration.WithLabels("demo").Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }
}

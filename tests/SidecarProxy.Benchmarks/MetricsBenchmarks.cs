using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Prometheus;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Observability;

namespace SidecarProxy.Benchmarks;

/// <summary>What the metrics stages add to each request: a counter increment and two histogram observations.</summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private SidecarMetrics _metrics = null!;
    private SeriesCache _series = null!;
    private Histogram.Child _withExemplars = null!;
    private Histogram.Child _withoutExemplars = null!;

    [GlobalSetup]
    public void Setup()
    {
        _metrics = new SidecarMetrics();
        _series = new SeriesCache(_metrics);
        _metrics.PreTouch(DenialCode.All.Select(c => c.Value), ["demo"], []);
        _withExemplars = Histogram(null);
        _withoutExemplars = Histogram(ExemplarBehavior.NoExemplars());
    }

    /// <summary>prometheus-net's default: every observation asks the trace context for an exemplar.</summary>
    [Benchmark]
    public void ObserveWithDefaultExemplars() => _withExemplars.Observe(0.000123);

    /// <summary>What <see cref="SidecarMetrics"/> configures.</summary>
    [Benchmark]
    public void ObserveWithoutExemplars() => _withoutExemplars.Observe(0.000123);

    private static Histogram.Child Histogram(ExemplarBehavior? exemplars)
    {
        var factory = Metrics.WithCustomRegistry(Metrics.NewCustomRegistry());
        if (exemplars is not null)
        {
            factory.ExemplarBehavior = exemplars;
        }

        return factory.CreateHistogram("h_seconds", "h", new HistogramConfiguration { LabelNames = ["tool"], Buckets = SidecarMetrics.LatencyBuckets }).WithLabels("demo");
    }

    /// <summary>The cached children the pipeline uses.</summary>
    [Benchmark(Baseline = true)]
    public void RecordAllowedRequest()
    {
        var start = Stopwatch.GetTimestamp();
        var tool = _series.Tool("demo");
        tool.UpstreamDuration.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        tool.Requests(Verdicts.Allow, 200).Inc();
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

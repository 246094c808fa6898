using System.Globalization;

namespace SidecarProxy.TestSupport;

/// <summary>
/// A parsed Prometheus text exposition: series (name plus label set, as exported) to value. Series keys are written
/// the way prometheus-net prints them, e.g. <c>sidecar_denials_total{reason="unknown_tool"}</c>.
/// </summary>
internal sealed class MetricsScrape
{
    private readonly Dictionary<string, double> _series;

    private MetricsScrape(string text, Dictionary<string, double> series)
    {
        Text = text;
        _series = series;
    }

    public string Text { get; }

    public IReadOnlyDictionary<string, double> Series => _series;

    public static MetricsScrape Parse(string text)
    {
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var split = line.LastIndexOf(' ');
            var value = line[(split + 1)..] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            series[line[..split]] = value;
        }

        return new MetricsScrape(text, series);
    }

    public static async Task<MetricsScrape> FromAsync(Uri operationsUrl)
    {
        using var http = new HttpClient { BaseAddress = operationsUrl, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The value of a series that must exist.</summary>
    public double this[string series] =>
        _series.TryGetValue(series, out var value)
            ? value
            : throw new Xunit.Sdk.XunitException($"series {series} not exported; have:\n{string.Join('\n', _series.Keys.Where(k => k.StartsWith(series.Split('{')[0], StringComparison.Ordinal)))}");

    public bool Has(string series) => _series.ContainsKey(series);

    /// <summary>Sum over every exported series of a metric name.</summary>
    public double Sum(string name) =>
        _series.Where(p => p.Key == name || p.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(p => p.Value);
}

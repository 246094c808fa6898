using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Policy;
using SidecarProxy.Spiffe;

namespace SidecarProxy.TestSupport;

/// <summary>
/// The repeated set-up of a functional test in one place: a test CA per trusted trust domain, the sidecar's identity
/// directory, a recording upstream behind the tools, and the real sidecar started on 127.0.0.1:0. Built with
/// <see cref="Create"/>; disposing it stops the sidecar and the upstream and deletes every file.
/// </summary>
internal sealed class SidecarTestBed : IAsyncDisposable
{
    public const string TrustDomain = "agents.test";
    public const string AgentId = "spiffe://agents.test/agent/researcher";

    private readonly IReadOnlyList<(string TrustDomain, TestCa Ca)> _roots;
    private readonly TestPolicyDecisionPoint? _policy;

    private SidecarTestBed(IReadOnlyList<(string TrustDomain, TestCa Ca)> roots, IdentityDirectory identity, RecordingUpstream upstream, TestProxy proxy, TestPolicyDecisionPoint? policy)
    {
        _roots = roots;
        Identity = identity;
        Upstream = upstream;
        Proxy = proxy;
        _policy = policy;
    }

    /// <summary>The CA of the first trust domain: it issues the agents' SVIDs.</summary>
    public TestCa Root => _roots[0].Ca;

    public IdentityDirectory Identity { get; }

    public RecordingUpstream Upstream { get; }

    public TestProxy Proxy { get; }

    /// <summary>The test decision point; only for a bed built with one (otherwise the configured engine decides).</summary>
    public TestPolicyDecisionPoint Policy =>
        _policy ?? throw new InvalidOperationException("this test bed decides with the configured policy engine, not a test decision point");

    public Task<MetricsScrape> ScrapeAsync() => MetricsScrape.FromAsync(Proxy.OperationsUrl);

    public static Builder Create(params string[] trustDomains) =>
        new(trustDomains.Length == 0 ? [TrustDomain] : trustDomains);

    /// <summary>The CA of a trust domain the bed was created with.</summary>
    public TestCa RootOf(string trustDomain) =>
        _roots.Single(r => r.TrustDomain == trustDomain).Ca;

    /// <summary>A client on a fresh connection presenting a new SVID for <paramref name="spiffeId"/>.</summary>
    public HttpClient Agent(string spiffeId = AgentId) => Proxy.CreateClient(Root.IssueSvid(spiffeId));

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        Identity.Dispose();
        foreach (var (_, ca) in _roots)
        {
            ca.Dispose();
        }
    }

    internal sealed class Builder(string[] trustDomains)
    {
        private readonly Dictionary<string, string?> _settings = TestProxy.BaseSettings();
        private readonly List<Action<Dictionary<string, string?>, Uri>> _tools = [];
        private readonly List<Action<IServiceCollection>> _services = [];
        private TestPolicyDecisionPoint? _policy;

        /// <summary>A path tool <c>/tools/{name}/...</c> to the recording upstream.</summary>
        public Builder WithTool(string name, string? riskLabel = null)
        {
            _tools.Add((settings, upstream) => TestProxy.AddPathTool(settings, name, upstream, riskLabel));
            return this;
        }

        /// <summary>A Host tool: requests with Host <paramref name="host"/> go to the recording upstream.</summary>
        public Builder WithHostTool(string name, string host)
        {
            _tools.Add((settings, upstream) => TestProxy.AddHostTool(settings, name, host, upstream));
            return this;
        }

        /// <summary>Decide with a test decision point that allows everything until the test says otherwise.</summary>
        public Builder WithAllowAllPolicy() => WithPolicy(TestPolicyDecisionPoint.AllowAll());

        public Builder WithPolicy(TestPolicyDecisionPoint policy)
        {
            _policy = policy;
            return this;
        }

        /// <summary>Settings applied last: they win over the bed's own.</summary>
        public Builder WithSettings(IEnumerable<KeyValuePair<string, string?>> settings)
        {
            foreach (var (key, value) in settings)
            {
                _settings[key] = value;
            }

            return this;
        }

        public Builder WithSetting(string key, string? value) => WithSettings([new(key, value)]);

        public Builder WithServices(Action<IServiceCollection> services)
        {
            _services.Add(services);
            return this;
        }

        public async Task<SidecarTestBed> StartAsync()
        {
            var roots = trustDomains.Select(td => (td, TestCa.CreateRoot(td))).ToList();
            var identity = new IdentityDirectory();
            foreach (var (trustDomain, ca) in roots)
            {
                identity.WriteBundle(trustDomain, ca);
            }

            var upstream = await RecordingUpstream.StartAsync();
            var settings = TestProxy.BaseSettings();
            foreach (var (key, value) in identity.Configuration(trustDomains))
            {
                settings[key] = value;
            }

            foreach (var tool in _tools)
            {
                tool(settings, upstream.Url);
            }

            foreach (var (key, value) in _settings)
            {
                settings[key] = value;
            }

            var policy = _policy;
            var proxy = await TestProxy.StartAsync(identity, settings, services =>
            {
                if (policy is not null)
                {
                    services.AddSingleton<IPolicyDecisionPoint>(policy);
                }

                foreach (var add in _services)
                {
                    add(services);
                }
            });
            return new SidecarTestBed(roots, identity, upstream, proxy, policy);
        }
    }
}

using System.Collections.Concurrent;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Credentials;

/// <summary>
/// The credential cache behind the real <see cref="CredentialBroker"/>, checked with CsCheck against a model, with many
/// agents, tasks, tools (two providers of different audiences) and scope sets. The fake provider writes the whole key
/// (provider, audience, agent, task, tool, normalized scopes) and a per-key fetch number into every token it mints,
/// so a credential served for another key, or a stale one, is seen on the spot. Three properties:
/// <list type="bullet">
/// <item>sequential, model-based: hits, misses, expiry, revocation drops and failed fetches agree with a plain model;</item>
/// <item>parallel (linearizability): requests run on several threads give the fetch counts of some sequential order,
/// which single-flight makes exactly one fetch per key;</item>
/// <item>a burst: every request of a random workload misses at once, held at the fetch until all have arrived; each
/// key is fetched exactly once and every request gets its own key's credential.</item>
/// </list>
/// Nothing here waits on a clock: time is a <see cref="ManualTimeProvider"/>, concurrency is forced by gates.
/// </summary>
public sealed class CredentialCacheModelTests
{
    private static readonly string[] Agents =
        ["spiffe://agents.test/agent/a", "spiffe://agents.test/agent/b", "spiffe://agents.test/agent/c"];

    private static readonly string?[] Tasks = [null, "task-1", "task-2"];

    // Tool -> provider; the providers differ in audience, so the same agent and tool never share a token across them.
    private static readonly (string Tool, string Provider)[] Tools = [("github", "alpha"), ("jira", "alpha"), ("billing", "beta")];

    private static readonly Dictionary<string, string> Audiences = new(StringComparer.Ordinal)
    {
        ["alpha"] = "https://alpha.example",
        ["beta"] = "https://beta.example",
    };

    private static readonly string[] ScopePool = ["read", "write", "admin"];

    // Fake credentials live 10 minutes; the cache stops using them 30 s before (10 %, at most 30 s).
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan UsableFor = Lifetime - TimeSpan.FromSeconds(30);

    /// <summary>One request: indexes into the pools, and scopes in any order with repeats (the broker normalizes).</summary>
    internal sealed record Ask(int Agent, int Task, int Tool, string[] Scopes)
    {
        public string Provider => Tools[Tool].Provider;

        public CredentialRequest ToRequest() => new(Agents[Agent], Tasks[Task], null, Tools[Tool].Tool, Scopes, null);

        /// <summary>The key as the test (not the broker) understands it.</summary>
        public string Key => string.Join('|', Provider, Audiences[Provider], Agents[Agent], Tasks[Task] ?? "-", Tools[Tool].Tool,
            string.Join(' ', Scopes.Distinct().Order(StringComparer.Ordinal)));

        public override string ToString() => $"{Agents[Agent][^1..]}/{Tasks[Task] ?? "-"}/{Tools[Tool].Tool}/[{string.Join(',', Scopes)}]";
    }

    private static readonly Gen<Ask> GenAsk =
        Gen.Select(Gen.Int[0, Agents.Length - 1], Gen.Int[0, Tasks.Length - 1], Gen.Int[0, Tools.Length - 1],
            Gen.Int[0, ScopePool.Length - 1].Select(i => ScopePool[i]).Array[0, 4],
            (agent, task, tool, scopes) => new Ask(agent, task, tool, scopes));

    /// <summary>
    /// A provider that mints <c>Bearer key#n</c>, n the fetch number of that key; it can be told to fail a key's next
    /// fetch, and to hold every fetch until released.
    /// </summary>
    private sealed class KeyEncodingProvider(string name, TimeProvider time) : ICredentialProvider
    {
        private readonly ConcurrentDictionary<string, int> _fetches = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, bool> _failNext = new(StringComparer.Ordinal);

        public string Name => name;

        public CredentialKind Kind => CredentialKind.Jwt;

        public string HeaderName => "Authorization";

        public bool JustInTime => true;

        public TimeSpan MaxTtl => TimeSpan.FromHours(1);

        public IReadOnlyDictionary<string, int> Fetches => _fetches;

        /// <summary>When set, fetches wait for it (after counting themselves).</summary>
        public Task? Gate { get; set; }

        public void FailNext(string key) => _failNext[key] = true;

        public async ValueTask<ProviderCredential> IssueAsync(CredentialRequest request, CancellationToken cancellationToken)
        {
            var key = string.Join('|', name, Audiences[name], request.SpiffeId, request.TaskId ?? "-", request.ToolId, ScopeSet.Join(request.Scopes));
            var n = _fetches.AddOrUpdate(key, 1, (_, c) => c + 1);

            // Always finish asynchronously, so that concurrent callers find the fetch in flight.
            await Task.Yield();
            if (Gate is { } gate)
            {
                await gate.WaitAsync(cancellationToken);
            }

            if (_failNext.TryRemove(key, out _))
            {
                throw new CredentialUnavailableException($"provider '{name}' refused", CredentialFailure.UpstreamRejected);
            }

            return new ProviderCredential($"Bearer {key}#{n}", time.GetUtcNow() + Lifetime);
        }
    }

    /// <summary>The real broker and cache over two fake providers.</summary>
    internal sealed class Actual : IDisposable
    {
        private readonly Dictionary<string, KeyEncodingProvider> _providers;

        public Actual()
        {
            Time = new ManualTimeProvider();
            _providers = Audiences.Keys.ToDictionary(n => n, n => new KeyEncodingProvider(n, Time), StringComparer.Ordinal);
            Cache = new CredentialCache(Time, maxEntries: 10_000, NullLogger<CredentialCache>.Instance);
            Broker = new CredentialBroker(CredentialProviderRegistry.Of(_providers.Values), Cache, Time, NullLogger<CredentialBroker>.Instance);
        }

        public ManualTimeProvider Time { get; }

        public CredentialCache Cache { get; }

        public CredentialBroker Broker { get; }

        /// <summary>What the last request got: key, fetch number and hit, or "failed".</summary>
        public string Last { get; private set; } = "";

        public Dictionary<string, int> Fetches =>
            _providers.Values.SelectMany(p => p.Fetches).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        public void SetGate(Task? gate)
        {
            foreach (var provider in _providers.Values)
            {
                provider.Gate = gate;
            }
        }

        public void FailNext(Ask ask) => _providers[ask.Provider].FailNext(ask.Key);

        /// <summary>Asks the broker; throws when the credential is not exactly the one minted for this request's key.</summary>
        public async Task<IssuedCredential> GetAsync(Ask ask)
        {
            var credential = await Broker.GetAsync(ask.Provider, ask.ToRequest(), default);
            var served = credential.HeaderValue["Bearer ".Length..];
            var key = served[..served.LastIndexOf('#')];
            if (key != ask.Key)
            {
                throw new InvalidOperationException($"cross-key serve: asked {ask.Key}, got {served}");
            }

            return credential;
        }

        public void Get(Ask ask)
        {
            try
            {
                var credential = GetAsync(ask).GetAwaiter().GetResult();
                Last = $"{credential.HeaderValue["Bearer ".Length..]} hit={credential.CacheHit}";
            }
            catch (CredentialUnavailableException)
            {
                Last = $"{ask.Key} failed";
            }
        }

        public void Dispose() => Cache.Dispose();

        public override string ToString() => $"{Cache.Count} cached, fetches {string.Join(", ", Fetches.Select(f => f.Value))}, last {Last}";
    }

    /// <summary>The model: what is cached (fetch number, usable until), how often each key was fetched, the clock.</summary>
    internal sealed class Model
    {
        public Dictionary<string, (int N, DateTimeOffset UsableUntil)> Cached { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Fetches { get; } = new(StringComparer.Ordinal);

        public HashSet<string> FailNext { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset Now { get; set; } = new ManualTimeProvider().GetUtcNow();

        public string Last { get; private set; } = "";

        public void Get(Ask ask)
        {
            var key = ask.Key;
            if (Cached.TryGetValue(key, out var entry) && Now < entry.UsableUntil)
            {
                Last = $"{key}#{entry.N} hit=True";
                return;
            }

            var n = Fetches[key] = Fetches.GetValueOrDefault(key) + 1;
            if (FailNext.Remove(key))
            {
                Cached.Remove(key);
                Last = $"{key} failed";
                return;
            }

            Cached[key] = (n, Now + UsableFor);
            Last = $"{key}#{n} hit=False";
        }

        public void Drop(Func<string[], bool> predicate)
        {
            foreach (var key in Cached.Keys.Where(k => predicate(k.Split('|'))).ToList())
            {
                Cached.Remove(key);
            }
        }

        public override string ToString() => $"{Cached.Count} cached, fetches {string.Join(", ", Fetches.Select(f => f.Value))}, last {Last}";
    }

    private static bool SameFetches(Dictionary<string, int> actual, Dictionary<string, int> model) =>
        actual.Count == model.Count && model.All(p => actual.TryGetValue(p.Key, out var n) && n == p.Value);

    [Fact]
    public void Sequential_CacheAgreesWithTheModel()
    {
        Gen.Const(() => (new Actual(), new Model()))
            .SampleModelBased(
                GenAsk.Operation<Actual, Model>(a => $"Get({a})", (actual, a) => actual.Get(a), (model, a) => model.Get(a)),
                GenAsk.Operation<Actual, Model>(a => $"FailNext({a})", (actual, a) => actual.FailNext(a), (model, a) => model.FailNext.Add(a.Key)),
                Gen.Int[1, 12].Operation<Actual, Model>(m => $"Advance({m} min)",
                    (actual, m) => actual.Time.Advance(TimeSpan.FromMinutes(m)),
                    (model, m) => model.Now += TimeSpan.FromMinutes(m)),
                Gen.Int[0, Agents.Length - 1].Operation<Actual, Model>(i => $"DropIdentity({Agents[i]})",
                    (actual, i) => actual.Broker.DropIdentity(Agents[i]),
                    (model, i) => model.Drop(k => k[2] == Agents[i])),
                Gen.Int[1, Tasks.Length - 1].Operation<Actual, Model>(i => $"DropTask({Tasks[i]})",
                    (actual, i) => actual.Broker.DropTask(Tasks[i]!),
                    (model, i) => model.Drop(k => k[3] == Tasks[i])),
                equal: (actual, model) => actual.Last == model.Last
                    && actual.Cache.Count == model.Cached.Count
                    && SameFetches(actual.Fetches, model.Fetches),
                iter: 300,
                threads: 1);
    }

    [Fact]
    public void Parallel_RequestsLinearize_OneFetchPerKey()
    {
        Gen.Const(() => (new Actual(), new Model()))
            .SampleParallel(
                GenAsk.Operation<Actual, Model>(a => $"Get({a})", (actual, a) => actual.Get(a), (model, a) => model.Get(a)),
                equal: (actual, model) => actual.Cache.Count == model.Cached.Count && SameFetches(actual.Fetches, model.Fetches),
                maxSequentialOperations: 4,
                maxParallelOperations: 6,
                iter: 200,
                threads: 1);
    }

    [Fact]
    public void Burst_EveryRequestMissesAtOnce_EachKeyIsFetchedOnceAndServedOnlyItsOwn()
    {
        GenAsk.Array[8, 64].Sample(workload =>
        {
            using var actual = new Actual();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            actual.SetGate(gate.Task);
            var arrived = 0;
            var requests = workload.Select(ask => Task.Run(async () =>
            {
                Interlocked.Increment(ref arrived);
                return await actual.GetAsync(ask);
            })).ToArray();

            // Everyone has asked (and found the fetch of its key in flight, or started it) before any fetch ends.
            SpinWait.SpinUntil(() => Volatile.Read(ref arrived) == workload.Length);
            gate.SetResult();
            var served = Task.WhenAll(requests).GetAwaiter().GetResult();

            var keys = workload.Select(a => a.Key).Distinct().ToList();
            Assert.Equal(keys.Count, actual.Fetches.Count);
            Assert.All(actual.Fetches.Values, n => Assert.Equal(1, n));
            for (var i = 0; i < workload.Length; i++)
            {
                Assert.Equal($"Bearer {workload[i].Key}#1", served[i].HeaderValue);
            }

            // And afterwards every key is a hit on that one credential.
            Assert.All(workload, ask => Assert.True(actual.GetAsync(ask).GetAwaiter().GetResult().CacheHit));
        }, iter: 50, threads: 1);
    }
}

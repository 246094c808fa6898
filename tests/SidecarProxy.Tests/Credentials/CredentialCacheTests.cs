using Microsoft.Extensions.Logging.Abstractions;
using SidecarProxy.Credentials;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Tests.Credentials;

public sealed class CredentialCacheTests
{
    private static CredentialCacheKey Key(int i) => new("p", "spiffe://a.example/agent", $"t-{i}", "tool", "");

    [Fact]
    public async Task FullCache_EvictsSoonestExpiringAndStaysBounded()
    {
        var time = new ManualTimeProvider();
        using var cache = new CredentialCache(time, maxEntries: 10, NullLogger<CredentialCache>.Instance);
        var now = time.GetUtcNow();

        for (var i = 0; i < 25; i++)
        {
            var expires = now.AddMinutes(10 + i);
            await cache.GetOrFetchAsync(Key(i), expires, _ => ValueTask.FromResult(new ProviderCredential($"v{i}", expires)), default);
            Assert.InRange(cache.Count, 1, 11);
        }

        // The latest (longest-lived) entries survive; the earliest were evicted.
        var (latest, hit) = await cache.GetOrFetchAsync(Key(24), now.AddHours(1), _ => throw new InvalidOperationException("refetched"), default);
        Assert.True(hit);
        Assert.Equal("v24", latest.HeaderValue);
        var (first, firstHit) = await cache.GetOrFetchAsync(Key(0), now.AddHours(1), _ => ValueTask.FromResult(new ProviderCredential("again", now.AddHours(1))), default);
        Assert.False(firstHit);
        Assert.Equal("again", first.HeaderValue);
    }

    [Fact]
    public async Task TooShortLivedToReuse_ReturnedButNotKept()
    {
        var time = new ManualTimeProvider();
        using var cache = new CredentialCache(time, maxEntries: 10, NullLogger<CredentialCache>.Instance);
        var now = time.GetUtcNow();
        var calls = 0;
        ValueTask<ProviderCredential> Fetch(CancellationToken _)
        {
            calls++;
            return ValueTask.FromResult(new ProviderCredential("v", now));
        }

        await cache.GetOrFetchAsync(Key(1), now.AddMinutes(1), Fetch, default);
        await cache.GetOrFetchAsync(Key(1), now.AddMinutes(1), Fetch, default);

        Assert.Equal(2, calls);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task SkewIsTenPercentCappedAtThirtySeconds()
    {
        var time = new ManualTimeProvider();
        using var cache = new CredentialCache(time, maxEntries: 10, NullLogger<CredentialCache>.Instance);
        var now = time.GetUtcNow();
        var expires = now.AddHours(1);
        await cache.GetOrFetchAsync(Key(1), expires, _ => ValueTask.FromResult(new ProviderCredential("v", expires)), default);

        time.Advance(TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(29));
        Assert.True((await cache.GetOrFetchAsync(Key(1), expires, _ => ValueTask.FromResult(new ProviderCredential("n", expires)), default)).CacheHit);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await cache.GetOrFetchAsync(Key(1), expires, _ => ValueTask.FromResult(new ProviderCredential("n", expires)), default)).CacheHit);
    }
}

using SidecarProxy.Identity.WorkloadApi;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

public sealed class ReconnectBackoffTests
{
    [Fact]
    public void Delays_DoubleUntilTheMaximum()
    {
        // Jitter pinned to its top: each delay is the full exponential step.
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), () => 1.0);

        var delays = Enumerable.Range(0, 6).Select(_ => backoff.Next().TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 10, 10], delays);
    }

    [Fact]
    public void Jitter_KeepsEachDelayBetweenHalfAndFullStep()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4), () => 0.0);

        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Next());
    }

    [Fact]
    public void Reset_StartsAgainFromTheInitialDelay()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), () => 1.0);
        for (var i = 0; i < 5; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next());
    }

    [Fact]
    public void ManyFailures_StayBoundedByTheMaximum()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));

        for (var i = 0; i < 1000; i++)
        {
            var delay = backoff.Next();
            Assert.InRange(delay, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void MaximumBelowInitial_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectBackoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)));
    }
}

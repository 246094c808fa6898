namespace SidecarProxy.TestSupport;

/// <summary>
/// The one test clock: tests set or advance it by hand, from any thread. Timers are not faked: the code under test
/// reads the time from it and uses real time only for deadlines and backoff delays, so it still makes progress.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public DateTimeOffset Now
    {
        get => GetUtcNow();
        set => Set(value);
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

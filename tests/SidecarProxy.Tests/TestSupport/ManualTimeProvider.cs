namespace SidecarProxy.TestSupport;

/// <summary>A clock the test sets; timers are not faked (the code under test only reads the time here).</summary>
public sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

using System.Text;

namespace SidecarProxy.Tests.Audit;

/// <summary>Audit destinations for tests: the writer sees a stream, as it does stdout or a file.</summary>
internal abstract class WriteOnlyTestStream : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public bool Disposed { get; private set; }

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}

/// <summary>Records what is written, as UTF-8 text.</summary>
internal class CapturingStream : WriteOnlyTestStream
{
    private readonly MemoryStream _written = new();
    private readonly Lock _gate = new();

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return Encoding.UTF8.GetString(_written.ToArray());
            }
        }
    }

    public string[] Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _written.Write(buffer.Span);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Every write waits until <see cref="Release"/>: a destination that has stopped accepting data.</summary>
internal sealed class StalledStream : CapturingStream
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _release.TrySetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _release.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        await base.WriteAsync(buffer, cancellationToken);
    }
}

/// <summary>The first write fails like a full disk; later ones are recorded.</summary>
internal sealed class FailingOnceStream : CapturingStream
{
    private readonly TaskCompletionSource _attempted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task FirstWriteAttempted => _attempted.Task;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _attempted.TrySetResult()
            ? ValueTask.FromException(new IOException("disk full"))
            : base.WriteAsync(buffer, cancellationToken);
}

/// <summary>Every write fails like a full disk.</summary>
internal sealed class AlwaysFailingStream : WriteOnlyTestStream
{
    private readonly TaskCompletionSource _attempted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Attempted => _attempted.Task;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _attempted.TrySetResult();
        return ValueTask.FromException(new IOException("No space left on device"));
    }
}

/// <summary>Counts the lines written and keeps nothing: a destination as fast as can be.</summary>
internal sealed class CountingStream : WriteOnlyTestStream
{
    private long _lines;

    public long Lines => Interlocked.Read(ref _lines);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Interlocked.Add(ref _lines, System.MemoryExtensions.Count(buffer.Span, (byte)'\n'));
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A clock whose timers fire only when the test calls <see cref="Step"/> ("the interval passed"). A step with no
/// timer waiting is kept for the next one, so a step is never lost to a race with the code creating its timer.
/// </summary>
internal sealed class SteppedTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<SteppedTimer> _waiting = [];
    private int _credits;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SteppedTimer(this, callback, state);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Schedule(timer);
        }

        return timer;
    }

    public void Step()
    {
        List<SteppedTimer> due;
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _credits++;
                return;
            }

            due = [.. _waiting];
            _waiting.Clear();
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private void Schedule(SteppedTimer timer)
    {
        lock (_gate)
        {
            if (_credits == 0)
            {
                _waiting.Add(timer);
                return;
            }

            _credits--;
        }

        ThreadPool.QueueUserWorkItem(_ => timer.Fire());
    }

    private void Cancel(SteppedTimer timer)
    {
        lock (_gate)
        {
            _waiting.Remove(timer);
        }
    }

    private sealed class SteppedTimer(SteppedTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private int _fired;

        public void Fire()
        {
            if (Interlocked.Exchange(ref _fired, 1) == 0)
            {
                callback(state);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Cancel(this);
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Interlocked.Exchange(ref _fired, 0);
                owner.Schedule(this);
            }

            return true;
        }

        public void Dispose() => owner.Cancel(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

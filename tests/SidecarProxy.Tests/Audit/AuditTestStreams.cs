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

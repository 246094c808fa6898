using System.Text;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Observability;

namespace SidecarProxy.Mcp;

/// <summary>
/// The body of a session's GET stream (2025-11-25), relayed event by event, into which the sidecar can put its own
/// notifications (<see cref="McpListChanges"/>). The server's events pass unchanged and are flushed as they
/// complete; the sidecar's are written only between two of them, never inside one, and carry no SSE <c>id</c> (so
/// they do not disturb the server's resumption ids). Writes from the relay and from the sidecar are serialized.
/// </summary>
internal sealed class McpServerStream(HttpContext context, Stream inner, SidecarMetrics metrics) : Stream
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly MemoryStream _partial = new();
    private readonly List<McpNotification> _pending = [];
    private bool _closed;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // The server's stream is what the agent sees: only a 200 event stream can carry the sidecar's notifications.
    private bool IsEventStream =>
        context.Response.StatusCode == 200
        && context.Response.ContentType is { } type
        && type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);

    public override void Flush() => throw new NotSupportedException("synchronous I/O");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O");

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!IsEventStream)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            _partial.Write(buffer.Span);
            while (TakeEvent() is { } complete)
            {
                await inner.WriteAsync(complete, cancellationToken);
            }

            await WritePendingAsync(cancellationToken);
            await inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (IsEventStream)
            {
                await WritePendingAsync(cancellationToken);
            }

            await inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Sends these notifications as soon as the stream is between events (each once, however often asked).</summary>
    public void Notify(IReadOnlyList<McpNotification> notifications) => _ = NotifyAsync(notifications);

    private async Task NotifyAsync(IReadOnlyList<McpNotification> notifications)
    {
        var ct = context.RequestAborted;
        try
        {
            await _lock.WaitAsync(ct);
            try
            {
                foreach (var notification in notifications)
                {
                    if (!_pending.Contains(notification))
                    {
                        _pending.Add(notification);
                    }
                }

                if (!_closed && IsEventStream)
                {
                    await WritePendingAsync(ct);
                    await inner.FlushAsync(ct);
                }
            }
            finally
            {
                _lock.Release();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The agent or the server closed the stream: nobody is left to tell.
        }
    }

    /// <summary>Called when the relay is over: nothing more is written.</summary>
    public async Task CloseAsync()
    {
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            _closed = true;
            if (_partial.Length > 0)
            {
                await inner.WriteAsync(_partial.ToArray(), CancellationToken.None);
                _partial.SetLength(0);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task WritePendingAsync(CancellationToken ct)
    {
        if (_partial.Length > 0 || _pending.Count == 0 || _closed)
        {
            return;
        }

        var events = new StringBuilder();
        foreach (var notification in _pending)
        {
            events.Append("event: message\ndata: ").Append(notification.Json).Append("\n\n");
        }

        var written = _pending.ToArray();
        _pending.Clear();
        await inner.WriteAsync(Encoding.UTF8.GetBytes(events.ToString()), ct);
        foreach (var notification in written)
        {
            metrics.McpNotifications.WithLabels(notification.Method).Inc();
        }
    }

    private byte[]? TakeEvent()
    {
        var span = _partial.GetBuffer().AsSpan(0, (int)_partial.Length);
        var end = McpResponseFilter.EventBoundary(span);
        if (end < 0)
        {
            return null;
        }

        var complete = span[..end].ToArray();
        var rest = span[end..].ToArray();
        _partial.SetLength(0);
        _partial.Write(rest);
        return complete;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _lock.Dispose();
            _partial.Dispose();
        }

        base.Dispose(disposing);
    }
}

using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SidecarProxy.Audit;

/// <summary>
/// Appends audit records as JSON lines. Requests only enqueue (never wait on disk); one background loop
/// serializes and writes them in batches, flushing after each batch. A full queue drops and counts rather than
/// stall requests. Stopping drains every queued record before the destination is closed.
/// </summary>
internal sealed class AuditWriter : IHostedService, IAsyncDisposable
{
    private readonly Channel<AuditRecord> _queue;
    private readonly Stream _destination;
    private readonly bool _ownsDestination;
    private readonly string _destinationName;
    private readonly ILogger _logger;
    private readonly Task _drain;
    private long _dropped;
    private long _written;
    private long _failed;
    private int _disposed;
    private volatile bool _stopping;

    public AuditWriter(IOptions<AuditOptions> options, ILogger<AuditWriter> logger)
        : this(Open(options?.Value ?? throw new ArgumentNullException(nameof(options))), options.Value.Path != "-",
            options.Value.Path == "-" ? "stdout" : options.Value.Path, options.Value.QueueCapacity, logger)
    {
    }

    internal AuditWriter(Stream destination, bool ownsDestination, string destinationName, int capacity, ILogger logger)
    {
        _destination = destination;
        _ownsDestination = ownsDestination;
        _destinationName = destinationName;
        _logger = logger;
        _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });

        // Started here, not in StartAsync: records written before the host starts must not be lost.
        _drain = Task.Run(DrainAsync);
    }

    /// <summary>Records dropped because the queue was full (or the writer already stopped).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records written to the destination.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records lost to write errors.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Queues a record; never blocks. Returns false (and counts a drop) when the queue is full.</summary>
    public bool TryWrite(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_queue.Writer.TryWrite(record))
        {
            return true;
        }

        var dropped = Interlocked.Increment(ref _dropped);

        // Log the first drop and then every thousandth, not one line per lost record.
        if (dropped == 1 || dropped % 1000 == 0)
        {
            AuditLog.QueueFull(_logger, dropped);
        }

        return false;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops accepting records and waits until every queued one is written.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        await _drain.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping = true;
        _queue.Writer.TryComplete();
        await _drain;
        AuditLog.Drained(_logger, Written, Dropped);
        if (_ownsDestination)
        {
            await _destination.DisposeAsync();
        }
    }

    /// <summary>Standard output as a stream; a seam so that a test can stand in for the process's own stdout.</summary>
    internal static Func<Stream> OpenStandardOutput { get; set; } = Console.OpenStandardOutput;

    // Streams, not TextWriters: the batch is already UTF-8, and Console.Out would re-encode it and write it to
    // stdout in 256-character pieces (one system call each).
    private static Stream Open(AuditOptions options) =>
        options.Path == "-"
            ? OpenStandardOutput()
            : new FileStream(options.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);

    // The drain loop serializes every record already queued (up to BatchBytes of JSON) into one UTF-8 buffer and
    // hands the destination one write and one flush per batch: under load that is one system call for many
    // records instead of one (or several) per record.
    private const int BatchBytes = 64 * 1024;

    // After a batch the loop rests this long before it looks again. Without the rest, every record arriving while
    // the loop waits would wake a thread-pool thread just to write one line: one extra wake-up per request. With
    // it, records reach the destination at most this much later, and a busy sidecar wakes the loop ~100 times/s.
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(10);

    private async Task DrainAsync()
    {
        var reader = _queue.Reader;
        var utf8 = new ArrayBufferWriter<byte>(BatchBytes + 4096);
        using var json = new Utf8JsonWriter(utf8);
        while (await reader.WaitToReadAsync())
        {
            utf8.ResetWrittenCount();
            var batched = 0;
            while (utf8.WrittenCount < BatchBytes && reader.TryRead(out var record))
            {
                json.Reset(utf8);
                JsonSerializer.Serialize(json, record, AuditJsonContext.Default.AuditRecord);
                utf8.Write("\n"u8);
                batched++;
            }

            await WriteBatchAsync(utf8.WrittenMemory, batched);
            if (!_stopping)
            {
                await Task.Delay(BatchInterval);
            }
        }
    }

    private async Task WriteBatchAsync(ReadOnlyMemory<byte> lines, int records)
    {
        try
        {
            await _destination.WriteAsync(lines);
            await _destination.FlushAsync();
            Interlocked.Add(ref _written, records);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
        {
            Interlocked.Add(ref _failed, records);
            AuditLog.WriteFailed(_logger, _destinationName, ex.GetType().Name);
        }
    }
}

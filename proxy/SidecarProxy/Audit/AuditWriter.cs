using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarProxy.Observability;

namespace SidecarProxy.Audit;

/// <summary>
/// Appends audit records as JSON lines. Requests only enqueue (never wait on disk); one background loop
/// serializes and writes them in batches, flushing after each batch, and drains everything queued back to back:
/// it rests (so that a quiet sidecar is not woken once per record) only when the queue is empty.
/// The queue is bounded by slots: a request reserves one when it starts (<see cref="TryReserve"/>) and fills it
/// with its record when it ends (<see cref="WriteReserved"/>), so an admitted request always has room for its
/// record. A request that finds no slot, or finds the destination failing (<see cref="IsFaulted"/>), is what
/// <c>Sidecar:Audit:OnFailure</c> decides about (see <see cref="AuditMiddleware"/>).
/// Stopping drains every queued record before the destination is closed.
/// </summary>
internal sealed class AuditWriter : IHostedService, IAsyncDisposable
{
    // Records serialized into one buffer (one write and one flush) at most: bounds the buffer, not the throughput,
    // since batches follow each other without a rest while records are queued.
    private const int BatchBytes = 256 * 1024;

    // Once the queue is empty the loop rests this long before it looks again. Without the rest, every record arriving
    // while the loop waits would wake a thread-pool thread just to write one line: one extra wake-up per request.
    // With it, a quiet sidecar's records reach the destination at most this much later; a busy one never rests.
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(10);

    private readonly Channel<AuditRecord> _queue;
    private readonly Stream _destination;
    private readonly bool _ownsDestination;
    private readonly string _destinationName;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Prometheus.Counter? _failedRecords;
    private readonly Task _drain;
    private int _slots;
    private long _dropped;
    private long _written;
    private long _failed;
    private int _disposed;
    private volatile bool _stopping;
    private volatile bool _faulted;

    public AuditWriter(IOptions<AuditOptions> options, ILogger<AuditWriter> logger)
        : this(options, logger, metrics: null, TimeProvider.System)
    {
    }

    public AuditWriter(IOptions<AuditOptions> options, ILogger<AuditWriter> logger, SidecarMetrics? metrics, TimeProvider time)
        : this(Open(options?.Value ?? throw new ArgumentNullException(nameof(options))), options.Value.Path != "-",
            options.Value.Path == "-" ? "stdout" : options.Value.Path, options.Value.QueueCapacity, logger, time, metrics)
    {
    }

    internal AuditWriter(
        Stream destination,
        bool ownsDestination,
        string destinationName,
        int capacity,
        ILogger logger,
        TimeProvider? time = null,
        SidecarMetrics? metrics = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _destination = destination;
        _ownsDestination = ownsDestination;
        _destinationName = destinationName;
        _capacity = capacity;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _failedRecords = metrics?.AuditWriteFailures;

        // Unbounded as a channel; the slots bound it (a reserved slot must never find the channel full).
        _queue = Channel.CreateUnbounded<AuditRecord>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = false,
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

    /// <summary>The last write to the destination failed (and none has succeeded since).</summary>
    public bool IsFaulted => _faulted;

    /// <summary>Slots reserved or queued, not yet taken by the drain loop.</summary>
    internal int Pending => Volatile.Read(ref _slots);

    /// <summary>
    /// Reserves room for one record, to be filled by <see cref="WriteReserved"/>. False when the queue is full (the
    /// writer cannot keep up) or the writer is stopping. Never blocks.
    /// </summary>
    public bool TryReserve()
    {
        if (_stopping)
        {
            return false;
        }

        if (Interlocked.Increment(ref _slots) <= _capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _slots);
        return false;
    }

    /// <summary>Queues a record into a slot taken with <see cref="TryReserve"/>. False (and counted) only once stopped.</summary>
    public bool WriteReserved(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_queue.Writer.TryWrite(record))
        {
            return true;
        }

        Interlocked.Decrement(ref _slots);
        CountDrop();
        return false;
    }

    /// <summary>Queues a record; never blocks. Returns false (and counts a drop) when the queue is full.</summary>
    public bool TryWrite(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (TryReserve())
        {
            return WriteReserved(record);
        }

        CountDrop();
        return false;
    }

    private void CountDrop()
    {
        var dropped = Interlocked.Increment(ref _dropped);

        // Log the first drop and then every thousandth, not one line per lost record.
        if (dropped == 1 || dropped % 1000 == 0)
        {
            AuditLog.QueueFull(_logger, dropped);
        }
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
    // A destination that cannot be opened (a directory, no permission, a read-only file system) stops the start with
    // a line naming the key, like every other configuration error: serving unaudited is not an option it may choose.
    private static Stream Open(AuditOptions options)
    {
        if (options.Path == "-")
        {
            return OpenStandardOutput();
        }

        try
        {
            return new FileStream(options.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Configuration.StartupException(
                $"{AuditOptions.SectionName}:Path: cannot open '{options.Path}' for appending: {ex.Message}", ex);
        }
    }

    // The loop serializes the records already queued (up to BatchBytes of JSON) into one UTF-8 buffer and hands the
    // destination one write and one flush per batch: under load that is one system call for many records instead of
    // one (or several) per record. It goes on with the next batch at once while records are queued, and rests only
    // when the queue is empty: the old loop rested after every batch, which capped the trail at 64 KB per 10 ms
    // (6.4 MB/s, ~13k records/s) and dropped records above that.
    private async Task DrainAsync()
    {
        var reader = _queue.Reader;
        var utf8 = new ArrayBufferWriter<byte>(BatchBytes + 4096);
        using var json = new Utf8JsonWriter(utf8);
        while (await reader.WaitToReadAsync())
        {
            while (true)
            {
                utf8.ResetWrittenCount();
                var batched = 0;
                while (utf8.WrittenCount < BatchBytes && reader.TryRead(out var record))
                {
                    Interlocked.Decrement(ref _slots);
                    json.Reset(utf8);
                    JsonSerializer.Serialize(json, record, AuditJsonContext.Default.AuditRecord);
                    utf8.Write("\n"u8);
                    batched++;
                }

                if (batched == 0)
                {
                    break;
                }

                await WriteBatchAsync(utf8.WrittenMemory, batched);
            }

            if (!_stopping)
            {
                await Task.Delay(BatchInterval, _time);
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
            if (_faulted)
            {
                _faulted = false;
                AuditLog.WriteRecovered(_logger, _destinationName);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException or UnauthorizedAccessException)
        {
            Interlocked.Add(ref _failed, records);
            _failedRecords?.Inc(records);

            // Logged when the destination starts failing, not for every batch while it keeps failing.
            if (!_faulted)
            {
                _faulted = true;
                AuditLog.WriteFailed(_logger, _destinationName, ex.GetType().Name);
            }
        }
    }
}

using Grpc.Core;
using SidecarProxy.Identity.WorkloadApi.Protocol;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>
/// Stands in for a SPIRE agent's Workload API: requires the security header like SPIRE does, sends the current
/// message as soon as a stream opens, then every message published after it, until the test ends the streams.
/// </summary>
internal sealed class FakeWorkloadApi : SpiffeWorkloadAPI.SpiffeWorkloadAPIBase
{
    public const string MissingHeaderDetail = "security header missing from request";

    private readonly Lock _gate = new();
    private X509SVIDResponse? _current;
    private TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _endStreams = new();
    private int _streams;
    private int _rejected;
    private int _writes;
    private StatusCode? _denyWith;

    /// <summary>Streams accepted so far (each reconnect adds one).</summary>
    public int Streams => Volatile.Read(ref _streams);

    /// <summary>Messages written to streams so far, across all streams.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Calls refused (missing header or <see cref="DenyWith"/>).</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>When set, every call fails with this status, as SPIRE does for a workload with no entries.</summary>
    public StatusCode? DenyWith
    {
        // Set by the test thread, read by request threads.
        get
        {
            lock (_gate)
            {
                return _denyWith;
            }
        }

        set
        {
            lock (_gate)
            {
                _denyWith = value;
            }
        }
    }

    public void Publish(X509SVIDResponse response)
    {
        lock (_gate)
        {
            _current = response;
            var published = _published;
            _published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            published.TrySetResult();
        }
    }

    /// <summary>Completes every open stream normally, as an agent does when it drops its connections.</summary>
    public void EndStreams()
    {
        CancellationTokenSource ended;
        lock (_gate)
        {
            ended = _endStreams;
            _endStreams = new CancellationTokenSource();
        }

        ended.Cancel();
        ended.Dispose();
    }

    public override async Task FetchX509SVID(
        X509SVIDRequest request,
        IServerStreamWriter<X509SVIDResponse> responseStream,
        ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue("workload.spiffe.io") != "true")
        {
            Interlocked.Increment(ref _rejected);
            throw new RpcException(new Status(StatusCode.InvalidArgument, MissingHeaderDetail));
        }

        if (DenyWith is { } code)
        {
            Interlocked.Increment(ref _rejected);
            throw new RpcException(new Status(code, "no identity issued"));
        }

        Interlocked.Increment(ref _streams);
        CancellationToken end;
        lock (_gate)
        {
            end = _endStreams.Token;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, end);
        X509SVIDResponse? sent = null;
        while (!stop.IsCancellationRequested)
        {
            X509SVIDResponse? current;
            Task published;
            lock (_gate)
            {
                current = _current;
                published = _published.Task;
            }

            if (current is not null && !ReferenceEquals(current, sent))
            {
                await responseStream.WriteAsync(current, stop.Token);
                Interlocked.Increment(ref _writes);
                sent = current;
            }

            try
            {
                await published.WaitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

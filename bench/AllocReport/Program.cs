using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// AllocReport TRACE REQUESTS [types|methods] [TOP]
//   types    bytes allocated per request by type (the default)
//   methods  by the first SidecarProxy method on the allocating stack that is not a middleware's InvokeAsync
//            (middlewares sit on every stack), with the type; "(outside the sidecar)" for Kestrel, YARP, the runtime
// The trace holds the runtime's GCAllocationTick events (one per ~100 KB allocated, with the type and the stack),
// so the figures are estimates from samples: stable to a few bytes per request over some 100,000 requests.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: AllocReport TRACE REQUESTS [types|methods] [TOP]");
    return 2;
}

var requests = double.Parse(args[1], CultureInfo.InvariantCulture);
var byMethod = args.Length > 2 && args[2] == "methods";
var top = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 40;

var totals = new Dictionary<string, long>(StringComparer.Ordinal);
long sampled = 0;
using (var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0])))
{
    foreach (var traceEvent in log.Events)
    {
        if (traceEvent is not GCAllocationTickTraceData tick)
        {
            continue;
        }

        var type = tick.TypeName ?? "?";
        var key = byMethod ? $"{AllocatingMethod(traceEvent.CallStack())}  [{type}]" : type;
        totals[key] = totals.GetValueOrDefault(key) + tick.AllocationAmount64;
        sampled += tick.AllocationAmount64;
    }
}

Console.WriteLine(FormattableString.Invariant($"sampled {sampled / 1e6:F1} MB over {requests:F0} requests: {sampled / requests:F0} B per request"));
foreach (var (key, bytes) in totals.OrderByDescending(t => t.Value).Take(top))
{
    Console.WriteLine(FormattableString.Invariant($"{bytes / requests,8:F0} B/req {100.0 * bytes / sampled,5:F1} %  {key}"));
}

return 0;

static string AllocatingMethod(TraceCallStack? stack)
{
    for (; stack is not null; stack = stack.Caller)
    {
        var method = stack.CodeAddress.FullMethodName;
        if (method is not null && method.StartsWith("SidecarProxy.", StringComparison.Ordinal)
            && !method.Contains("Middleware", StringComparison.Ordinal))
        {
            var signature = method.IndexOf('(', StringComparison.Ordinal);
            return signature > 0 ? method[..signature] : method;
        }
    }

    return "(outside the sidecar)";
}

using Microsoft.AspNetCore.Http;
using SidecarProxy.Model;
using SidecarProxy.Observability;

namespace SidecarProxy.Denials;

/// <summary>
/// The one way a stage refuses a request: counts the denial, records it on the request's <see cref="RequestOutcome"/>
/// (which the audit trail and the request metrics read when the request ends) and writes the problem document. A stage
/// that calls this must not call the next stage; the response is then set, so YARP does not forward either.
/// </summary>
internal sealed class DenialResponder(SeriesCache series)
{
    public Task DenyAsync(
        HttpContext context,
        DenialCode code,
        string? detail,
        int? status = null,
        IReadOnlyDictionary<string, string>? extensions = null)
    {
        Record(context, code);
        return ProblemWriter.WriteAsync(context, code, detail, status, extensions);
    }

    /// <summary>
    /// Counts and records a denial whose answer the stage writes itself (an MCP route answers in JSON-RPC, not with a
    /// problem document).
    /// </summary>
    public void Record(HttpContext context, DenialCode code)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(code);
        series.Denials(code).Inc();
        if (code.IsSvidRejection)
        {
            series.SvidRejections(code).Inc();
        }

        context.FindOutcome()?.Deny(code);
    }
}

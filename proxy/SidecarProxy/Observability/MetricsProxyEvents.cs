using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Model;
using SidecarProxy.Pipeline;

namespace SidecarProxy.Observability;

/// <summary>
/// Counts what the pipeline decides: denials by code, SVID rejections by code, and the decision recorded on the
/// request for <see cref="RequestMetricsMiddleware"/> to label the request counter with once the response is known.
/// </summary>
internal sealed class MetricsProxyEvents(SeriesCache series) : IProxyEvents
{
    public void RequestDenied(HttpContext context, DenialCode code, string? toolId)
    {
        series.Denials(code).Inc();
        if (IsSvidCode(code))
        {
            series.SvidRejections(code).Inc();
        }

        if (context.Features.Get<RequestMetricsFeature>() is { } feature)
        {
            feature.Decision = IsFault(code) ? Decisions.Error : Decisions.Deny;
        }
    }

    public void RequestAllowed(HttpContext context, string toolId)
    {
        if (context.Features.Get<RequestMetricsFeature>() is { } feature)
        {
            feature.Decision = Decisions.Allow;
        }
    }

    public static bool IsSvidCode(DenialCode code) => code.Value.StartsWith("svid_", StringComparison.Ordinal);

    // The sidecar could not answer the question, as opposed to answering no: those are the error decision.
    private static bool IsFault(DenialCode code) =>
        ReferenceEquals(code, DenialCode.PolicyUnavailable) || ReferenceEquals(code, DenialCode.CredentialUnavailable);
}

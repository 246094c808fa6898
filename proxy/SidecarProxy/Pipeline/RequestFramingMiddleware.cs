using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using SidecarProxy.Denials;
using SidecarProxy.Hosting;
using SidecarProxy.Model;

namespace SidecarProxy.Pipeline;

/// <summary>
/// Framing stage, first after identity: refuses a request whose body length is ambiguous (<c>400
/// framing_rejected</c>) or known to exceed the body limit (<c>413 body_too_large</c>) before anything is forwarded,
/// and closes an HTTP/1.1 connection after such a refusal, as nginx does.
/// </summary>
/// <remarks>
/// Kestrel (.NET 10) accepts <c>Content-Length</c> together with <c>Transfer-Encoding: chunked</c>: it reads the
/// body as chunked, renames the request's <c>Content-Length</c> to <c>X-Content-Length</c> and closes the
/// connection after the response. So a request with <c>Transfer-Encoding</c> and either header is refused here.
/// Kestrel refuses a duplicate or non-numeric <c>Content-Length</c>, obsolete line folding and a bare CR itself
/// (400). It reads a signed <c>Content-Length: +4</c> as 4 and shows the application only the parsed value, so that
/// one cannot be refused here; it cannot smuggle either, as the sidecar is the only parser of the agent's bytes
/// and YARP frames the forwarded request anew.
/// It checks <c>Content-Length</c> against <c>MaxRequestBodySize</c> only when the body is first read, which is
/// after YARP has sent the request line and headers upstream, so the known length is checked here.
/// </remarks>
internal sealed class RequestFramingMiddleware(RequestDelegate next, DenialResponder denials)
{
    private const string RenamedContentLength = "X-Content-Length";

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.IsAgentRequest())
        {
            return next(context);
        }

        var request = context.Request;
        var http1 = HttpProtocol.IsHttp10(request.Protocol) || HttpProtocol.IsHttp11(request.Protocol);
        if (request.Headers.ContainsKey(HeaderNames.TransferEncoding))
        {
            if (!http1)
            {
                // RFC 9113 section 8.2.2: a connection-specific header makes an HTTP/2 request malformed.
                return Deny(context, DenialCode.FramingRejected, $"Transfer-Encoding is not allowed in {request.Protocol}", close: false);
            }

            if (request.ContentLength is not null || request.Headers.ContainsKey(RenamedContentLength))
            {
                return Deny(context, DenialCode.FramingRejected, "both Content-Length and Transfer-Encoding", http1);
            }
        }

        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (request.ContentLength is { } length && length > limit)
        {
            return Deny(context, DenialCode.BodyTooLarge, $"the request body is larger than {limit} bytes", http1);
        }

        return next(context);
    }

    private Task Deny(HttpContext context, DenialCode code, string detail, bool close)
    {
        if (close)
        {
            // The rest of the connection cannot be trusted to be framed as the agent meant: read no more of it.
            context.Response.Headers.Connection = "close";
        }

        return denials.DenyAsync(context, code, detail);
    }
}

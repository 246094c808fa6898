using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SidecarProxy.Model;

namespace SidecarProxy.Denials;

/// <summary>
/// Writes RFC 9457 problem documents for denials. Written by hand with <see cref="Utf8JsonWriter"/>
/// because the shape is fixed and the hot path should not pay for reflection-based serialisation.
/// </summary>
internal static class ProblemWriter
{
    public const string ContentType = "application/problem+json";

    // The default encoder escapes ', <, >, & and every non-ASCII character (a policy's "can't" became can\u0027t).
    // This body is served as application/problem+json, never embedded in HTML, so the relaxed encoder is safe: it
    // still escapes what JSON requires (quotes, backslashes, control characters), so the output stays valid JSON.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The problem <c>type</c> URI for a code (a URN: it names the code, it is not a link).</summary>
    public static string TypeFor(DenialCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return "urn:sidecarproxy:denial:" + code.Value;
    }

    /// <summary>
    /// Writes the problem. <paramref name="detail"/> must never contain a secret: callers pass fixed
    /// messages, SPIFFE IDs or the policy's own reason string.
    /// </summary>
    public static async Task WriteAsync(
        HttpContext context,
        DenialCode code,
        string? detail,
        int? status = null,
        IReadOnlyDictionary<string, string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(code);
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a problem document; abort so the client cannot mistake a partial answer for success.
            context.Abort();
            return;
        }

        var statusCode = status ?? code.Status;
        response.Clear();
        response.StatusCode = statusCode;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", TypeFor(code));
            json.WriteString("title", code.Title);
            json.WriteNumber("status", statusCode);
            if (!string.IsNullOrEmpty(detail))
            {
                json.WriteString("detail", detail);
            }

            json.WriteString("code", code.Value);
            if (extensions is not null)
            {
                foreach (var (name, value) in extensions)
                {
                    json.WriteString(name, value);
                }
            }

            json.WriteEndObject();
        }

        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}

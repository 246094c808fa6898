using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy.Opa;

/// <summary>
/// A thin typed client of OPA's REST Data API (<c>POST /v1/data/{path}</c> with <c>{"input": ...}</c>).
/// The OPA C# SDK is not available here; this covers exactly the call the sidecar needs. It never
/// interprets the decision: it returns OPA's <c>result</c> (or undefined) and <c>decision_id</c>.
/// </summary>
internal sealed class OpaClient
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;

    /// <param name="http">A pooled client whose BaseAddress is the OPA server and whose Timeout is the policy deadline.</param>
    public OpaClient(HttpClient http) => _http = http ?? throw new ArgumentNullException(nameof(http));

    /// <summary>Evaluates the document at <paramref name="dataPath"/> (e.g. <c>sidecar/authz/decision</c>) for an input.</summary>
    /// <exception cref="OpaClientException">OPA unreachable, timed out, answered non-200, or replied with something that is not a Data API response.</exception>
    public async Task<OpaQueryResult> QueryAsync(string dataPath, RegoValue input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var body = "{\"input\":" + input.ToJson() + "}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/data/" + dataPath.Trim('/'))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8),
        };
        request.Content.Headers.ContentType = JsonMediaType;

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpaClientException("OPA did not answer within the policy timeout");
        }
        catch (HttpRequestException e)
        {
            throw new OpaClientException("OPA is unreachable: " + e.HttpRequestError, e);
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new OpaClientException($"OPA answered HTTP {(int)response.StatusCode}");
            }

            byte[] payload;
            try
            {
                payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new OpaClientException("OPA did not answer within the policy timeout");
            }

            return Parse(payload);
        }
    }

    /// <summary>Parses a Data API response body: <c>{"result": ..., "decision_id": "..."}</c>; no <c>result</c> means undefined.</summary>
    internal static OpaQueryResult Parse(ReadOnlySpan<byte> payload)
    {
        RegoValue document;
        try
        {
            document = RegoJson.Parse(payload);
        }
        catch (JsonException)
        {
            throw new OpaClientException("OPA replied with malformed JSON");
        }

        if (document is not RegoObject reply)
        {
            throw new OpaClientException("OPA replied with a JSON value that is not an object");
        }

        string? decisionId = null;
        if (reply.TryGetValue("decision_id", out var id))
        {
            decisionId = id is RegoString s ? s.Value : throw new OpaClientException("OPA replied with a decision_id that is not a string");
        }

        return new OpaQueryResult(reply.TryGetValue("result", out var result) ? result : null, decisionId);
    }
}

/// <summary>OPA's answer: the result (null when the document is undefined) and OPA's decision id, if it logs decisions.</summary>
internal readonly record struct OpaQueryResult(RegoValue? Result, string? DecisionId);

/// <summary>The OPA server could not give an answer. The message never contains input or response content.</summary>
internal sealed class OpaClientException : Exception
{
    public OpaClientException(string message)
        : base(message)
    {
    }

    public OpaClientException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public OpaClientException()
    {
    }
}

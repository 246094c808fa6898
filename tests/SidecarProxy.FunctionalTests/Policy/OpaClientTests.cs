using System.Net;
using System.Net.Sockets;
using SidecarProxy.Policy.Opa;
using SidecarProxy.Rego.Values;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SidecarProxy.FunctionalTests.Policy;

public sealed class OpaClientTests : IDisposable
{
    private const string DecisionPath = "/v1/data/sidecar/authz/decision";
    private static readonly RegoValue Input = RegoJson.Parse("{\"attributes\": {\"source\": {\"principal\": \"spiffe://td/agent\"}}}");

    private readonly WireMockServer _opa = WireMockServer.Start();

    public void Dispose() => _opa.Stop();

    private OpaClient Client(TimeSpan? timeout = null) =>
        new(new HttpClient { BaseAddress = new Uri(_opa.Url! + "/"), Timeout = timeout ?? TimeSpan.FromSeconds(5) });

    private void Reply(int status, string body, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);
        if (delay is { } d)
        {
            response = response.WithDelay(d);
        }

        _opa.Given(Request.Create().WithPath(DecisionPath).UsingPost()).RespondWith(response);
    }

    [Fact]
    public async Task Result_AndDecisionId_AreReturned()
    {
        Reply(200, "{\"result\": {\"allowed\": true}, \"decision_id\": \"d-42\"}");
        var result = await Client().QueryAsync("sidecar/authz/decision", Input, CancellationToken.None);
        Assert.Equal(RegoJson.Parse("{\"allowed\": true}"), result.Result);
        Assert.Equal("d-42", result.DecisionId);
    }

    [Fact]
    public async Task Request_IsDataApiPostWithInput()
    {
        Reply(200, "{\"result\": true}");
        await Client().QueryAsync("sidecar/authz/decision", Input, CancellationToken.None);
        var entry = Assert.Single(_opa.LogEntries);
        Assert.Equal("POST", entry.RequestMessage!.Method);
        Assert.Equal(RegoJson.Parse("{\"input\":" + Input.ToJson() + "}"), RegoJson.Parse(entry.RequestMessage!.Body!));
        Assert.StartsWith("application/json", entry.RequestMessage!.Headers!["Content-Type"][0]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingResult_IsUndefined()
    {
        Reply(200, "{}");
        var result = await Client().QueryAsync("sidecar/authz/decision", Input, CancellationToken.None);
        Assert.Null(result.Result);
    }

    [Theory]
    [InlineData(500, "{\"code\": \"internal_error\"}", "HTTP 500")]
    [InlineData(404, "{}", "HTTP 404")]
    [InlineData(400, "{\"code\": \"invalid_parameter\"}", "HTTP 400")]
    [InlineData(200, "not json", "malformed JSON")]
    [InlineData(200, "[1, 2]", "not an object")]
    [InlineData(200, "{\"result\": true, \"decision_id\": 7}", "decision_id")]
    public async Task BadReplies_Throw(int status, string body, string expected)
    {
        Reply(status, body);
        var e = await Assert.ThrowsAsync<OpaClientException>(() => Client().QueryAsync("sidecar/authz/decision", Input, CancellationToken.None));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowReply_TimesOut()
    {
        Reply(200, "{\"result\": true}", TimeSpan.FromSeconds(3));
        var e = await Assert.ThrowsAsync<OpaClientException>(() => Client(TimeSpan.FromMilliseconds(200)).QueryAsync("sidecar/authz/decision", Input, CancellationToken.None));
        Assert.Contains("timeout", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionRefused_Throws()
    {
        var port = ClosedPort();
        var client = new OpaClient(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") });
        var e = await Assert.ThrowsAsync<OpaClientException>(() => client.QueryAsync("sidecar/authz/decision", Input, CancellationToken.None));
        Assert.Contains("unreachable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorMessages_NeverQuoteTheReply()
    {
        Reply(500, "{\"message\": \"canary-opa-secret\"}");
        var e = await Assert.ThrowsAsync<OpaClientException>(() => Client().QueryAsync("sidecar/authz/decision", Input, CancellationToken.None));
        Assert.DoesNotContain("canary-opa-secret", e.ToString(), StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using SidecarProxy.TestSupport;
using System.Text;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Rego.Values;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Util;

namespace SidecarProxy.FunctionalTests.Policy;

/// <summary>
/// The same requests give the same answers from the embedded engine and from the opa engine, when the
/// OPA server (WireMock) answers with what the embedded engine computes for the input it receives.
/// </summary>
public sealed class ParityTests
{
    public static TheoryData<string, string, string> Requests => new()
    {
        { "spiffe://sidecar.dev/agent/demo", "GET", "/tools/demo/a?x=1" },
        { "spiffe://sidecar.dev/agent/demo", "HEAD", "/tools/demo/a" },
        { "spiffe://sidecar.dev/agent/demo", "POST", "/tools/demo/a" },
        { "spiffe://sidecar.dev/agent/demo", "DELETE", "/tools/demo/a" },
        { "spiffe://sidecar.dev/agent/demo", "TRACE", "/tools/demo/a" },
        { "spiffe://sidecar.dev/agent/demo", "GET", "/tools/payments/a" },
        { "spiffe://sidecar.dev/agent/other", "GET", "/tools/demo/a" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task EmbeddedAndOpa_GiveTheSameAnswer(string agent, string method, string path)
    {
        var policy = PolicyDirectoryLoader.Load(RepositoryPaths.Policies).Policy;
        using var opa = WireMockServer.Start();
        opa.Given(Request.Create().WithPath("/v1/data/sidecar/authz/decision").UsingPost())
            .RespondWith(Response.Create().WithCallback(request =>
            {
                var input = ((RegoObject)RegoJson.Parse(request.Body!))["input"];
                var result = policy.Evaluate("data.sidecar.authz.decision", input);
                var body = result is null ? "{}" : "{\"result\":" + result.ToJson() + "}";
                return new WireMock.ResponseMessage
                {
                    StatusCode = 200,
                    BodyData = new BodyData { BodyAsString = body, Encoding = Encoding.UTF8, DetectedBodyType = WireMock.Types.BodyType.String },
                };
            }));

        await using var embedded = await PolicyProxy.StartAsync(new() { ["Sidecar:Policy:Directory"] = RepositoryPaths.Policies }, "sidecar.dev");
        await using var viaOpa = await PolicyProxy.StartAsync(new()
        {
            ["Sidecar:Policy:Engine"] = "opa",
            ["Sidecar:Policy:OpaUrl"] = opa.Url,

            // The stand-in evaluates the policy inside WireMock: give it room on a loaded test machine.
            ["Sidecar:Policy:Timeout"] = "00:00:05",
        }, "sidecar.dev");

        var a = await AnswerAsync(embedded, agent, method, path);
        var b = await AnswerAsync(viaOpa, agent, method, path);
        Assert.Equal(a, b);
        Assert.Equal(embedded.Upstream.Requests.Count, viaOpa.Upstream.Requests.Count);
        Assert.Single(opa.LogEntries);
    }

    private static async Task<(int Status, string? Code, string? Detail)> AnswerAsync(SidecarTestBed proxy, string agent, string method, string path)
    {
        using var client = proxy.Agent(agent);
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)));
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return ((int)response.StatusCode, null, null);
        }

        var problem = await Problem.ReadAsync(response);
        return (problem.Status, problem.Code, problem.Body.TryGetProperty("detail", out var d) ? d.GetString() : null);
    }
}

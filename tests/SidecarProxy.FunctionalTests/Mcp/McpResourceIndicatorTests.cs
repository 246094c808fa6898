using System.Net;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.TestSupport;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static SidecarProxy.FunctionalTests.Mcp.McpSdkTests;

namespace SidecarProxy.FunctionalTests.Mcp;

/// <summary>
/// RFC 8707 resource indicators: two MCP servers share one OAuth client-credentials provider, each route names its
/// server's canonical URI, and each server gets a token minted for it (the token endpoint is WireMock).
/// </summary>
public sealed class McpResourceIndicatorTests
{
    private const string Call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_issues","arguments":{"repo":"acme/app"}}}""";
    private const string GitHubResource = "https://mcp.github.example/mcp";
    private const string WikiResource = "https://mcp.wiki.example/mcp";
    private const string AgentToken = "Bearer agent-own-token-CANARY";

    [Fact]
    public async Task EachServer_GetsATokenMintedForItsResource_AndTheAgentsTokenNeverPasses()
    {
        using var tokens = new TokenEndpointStub();
        tokens.Server.Given(Request.Create().WithPath(TokenEndpointStub.TokenPath).UsingPost()
                .WithBody(new WildcardMatcher("*resource=" + Uri.EscapeDataString(GitHubResource) + "*")))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("""{"access_token":"tok-for-github","token_type":"Bearer","expires_in":300}"""));
        tokens.Server.Given(Request.Create().WithPath(TokenEndpointStub.TokenPath).UsingPost()
                .WithBody(new WildcardMatcher("*resource=" + Uri.EscapeDataString(WikiResource) + "*")))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("""{"access_token":"tok-for-wiki","token_type":"Bearer","expires_in":300}"""));
        await using var github = await StubMcpServer.StartAsync();
        await using var wiki = await StubMcpServer.StartAsync();
        foreach (var server in new[] { github, wiki })
        {
            server.Handler = (c, _) => StubMcpServer.JsonAsync(c, """{"jsonrpc":"2.0","id":1,"result":{"content":[]}}""");
        }

        using var dir = new TempDirectory();
        var secret = dir.Write("client-secret", "client-secret-CANARY");
        var (bed, policy) = await McpBed.StartAsync(github.Url,
            ("Sidecar:Credentials:mcp-oauth:Kind", "oauth2_client_credentials"),
            ("Sidecar:Credentials:mcp-oauth:TokenEndpoint", tokens.TokenEndpoint),
            ("Sidecar:Credentials:mcp-oauth:ClientId", "sidecar"),
            ("Sidecar:Credentials:mcp-oauth:ClientSecretPath", secret),
            ($"ReverseProxy:Routes:{McpBed.Tool}:Metadata:Credential", "mcp-oauth"),
            ($"ReverseProxy:Routes:{McpBed.Tool}:Metadata:CredentialResource", GitHubResource),
            ("ReverseProxy:Routes:wiki-mcp:ClusterId", "wiki-mcp"),
            ("ReverseProxy:Routes:wiki-mcp:Match:Path", "/tools/wiki-mcp/{**rest}"),
            ("ReverseProxy:Routes:wiki-mcp:Metadata:Tool", "wiki-mcp"),
            ("ReverseProxy:Routes:wiki-mcp:Metadata:Protocol", "mcp"),
            ("ReverseProxy:Routes:wiki-mcp:Metadata:Credential", "mcp-oauth"),
            ("ReverseProxy:Routes:wiki-mcp:Metadata:CredentialResource", WikiResource),
            ("ReverseProxy:Routes:wiki-mcp:Metadata:CredentialAudience", "wiki"),
            ("ReverseProxy:Routes:wiki-mcp:Transforms:0:PathRemovePrefix", "/tools/wiki-mcp"),
            ("ReverseProxy:Clusters:wiki-mcp:Destinations:d1:Address", wiki.Url.ToString()));
        await using var _ = bed;
        using var __ = policy;
        using var agent = bed.Agent(McpBed.Reader);

        foreach (var endpoint in new[] { McpBed.Endpoint(bed), new Uri(bed.Proxy.AgentUrl, "/tools/wiki-mcp/mcp"), McpBed.Endpoint(bed) })
        {
            using var request = Post(endpoint, Call, null, ("Authorization", AgentToken));
            using var response = await agent.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(["Bearer tok-for-github", "Bearer tok-for-github"], github.Authorizations);
        Assert.Equal(["Bearer tok-for-wiki"], wiki.Authorizations);

        // One token request per server (the second GitHub call is served from the cache, keyed by the resource).
        var forms = tokens.Forms();
        Assert.Equal(2, forms.Count);
        Assert.Equal([GitHubResource, WikiResource], forms.Select(f => f["resource"]).Order(StringComparer.Ordinal));
        Assert.False(forms.Single(f => f["resource"] == GitHubResource).ContainsKey("audience"));
        Assert.Equal("wiki", forms.Single(f => f["resource"] == WikiResource)["audience"]);
        Assert.All(forms, f => Assert.Equal("client_credentials", f["grant_type"]));

        var tokenTraffic = string.Join('\n', tokens.Server.LogEntries.Select(e => e.RequestMessage?.Body + " " + string.Join(' ',
            e.RequestMessage?.Headers?.SelectMany(h => h.Value) ?? [])));
        Assert.DoesNotContain("agent-own-token", tokenTraffic, StringComparison.Ordinal);
        Assert.DoesNotContain(github.Authorizations.Concat(wiki.Authorizations), a => a.Contains("agent-own-token", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not a uri")]
    [InlineData("https://mcp.github.example/mcp#fragment")]
    [InlineData("/relative/mcp")]
    public async Task ResourceThatIsNotAnAbsoluteUriWithoutFragment_StopsStartup(string resource)
    {
        await using var stub = await StubMcpServer.StartAsync();
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var (bed, policy) = await McpBed.StartAsync(stub.Url,
                ("Sidecar:Credentials:mcp-oauth:Kind", "oauth2_client_credentials"),
                ("Sidecar:Credentials:mcp-oauth:TokenEndpoint", "https://127.0.0.1:1/token"),
                ("Sidecar:Credentials:mcp-oauth:ClientId", "sidecar"),
                ("Sidecar:Credentials:mcp-oauth:ClientSecretPath", dir.Write("s", "x")),
                ($"ReverseProxy:Routes:{McpBed.Tool}:Metadata:Credential", "mcp-oauth"),
                ($"ReverseProxy:Routes:{McpBed.Tool}:Metadata:CredentialResource", resource));
            policy.Dispose();
            await bed.DisposeAsync();
        });
        Assert.Contains("CredentialResource", error.ToString(), StringComparison.Ordinal);
    }
}

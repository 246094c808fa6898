using Microsoft.AspNetCore.WebUtilities;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>A WireMock token endpoint whose replies and received requests tests control and inspect.</summary>
public sealed class TokenEndpointStub : IDisposable
{
    public const string TokenPath = "/oauth2/token";

    public TokenEndpointStub()
    {
        Server = WireMockServer.Start();
    }

    public WireMockServer Server { get; }

    public string TokenEndpoint => Server.Urls![0] + TokenPath;

    public int Calls => Requests().Count();

    private IEnumerable<WireMock.IRequestMessage> Requests() =>
        Server.LogEntries
            .Select(e => e.RequestMessage)
            .OfType<WireMock.IRequestMessage>()
            .Where(r => r.Path == TokenPath)
            .OrderBy(r => r.DateTime);

    public void ReplyToken(string accessToken, int? expiresIn = 300, TimeSpan? delay = null)
    {
        var body = expiresIn is null
            ? $$"""{"access_token":"{{accessToken}}","token_type":"Bearer"}"""
            : $$"""{"access_token":"{{accessToken}}","token_type":"Bearer","expires_in":{{expiresIn}}}""";
        Reply(200, body, delay);
    }

    public void Reply(int status, string body, TimeSpan? delay = null)
    {
        Server.ResetMappings();
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body);
        if (delay is { } d)
        {
            response = response.WithDelay(d);
        }

        Server.Given(Request.Create().WithPath(TokenPath).UsingPost()).RespondWith(response);
    }

    /// <summary>Form fields of every token request received, in order.</summary>
    public IReadOnlyList<Dictionary<string, string>> Forms() =>
        Requests()
            .Select(r => QueryHelpers.ParseQuery(r.Body ?? string.Empty).ToDictionary(p => p.Key, p => p.Value.ToString()))
            .ToList();

    public string? LastAuthorization() =>
        Requests().LastOrDefault()?.Headers is { } headers
            && headers.TryGetValue("Authorization", out var values) ? values.FirstOrDefault() : null;

    public void Dispose()
    {
        Server.Stop();
        Server.Dispose();
    }
}

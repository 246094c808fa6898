using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.FunctionalTests.Credentials;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.FunctionalTests.Revocation;

/// <summary>A revoke closes the identity's open connections at once, even with a response still streaming.</summary>
public sealed class ConnectionCloseTests
{
    [Fact]
    public async Task Revoke_ClosesAConnectionWithARequestInFlight()
    {
        await using var events = await StreamingUpstream.StartAsync();
        await using var bed = await AdminBed.StartAsync(configure: s => CredentialBed.AddTool(s, "events", null, events.Url));
        const string victim = "spiffe://agents.test/agent/streaming";
        using var client = bed.Bed.CreateAgentClient(victim);
        using var bystander = bed.Bed.CreateAgentClient(CredentialBed.OtherAgentId);
        Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync(new Uri("/tools/plain/x", UriKind.Relative))).StatusCode);
        using var response = await client.GetAsync(new Uri("/tools/events/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[256];
        Assert.True(await stream.ReadAsync(buffer) > 0);
        var registry = bed.Bed.Proxy.App.Services.GetRequiredService<AgentConnectionRegistry>();
        Assert.Equal(1, registry.Count(SpiffeId.FromString(victim)));

        var record = await bed.CreateAsync("spiffe_id", victim);

        // The upstream never ends its stream: only the sidecar closing the connection ends this read.
        var ended = await ReadUntilClosedAsync(stream, buffer);
        Assert.True(ended);
        Assert.Equal(1, record.GetProperty("connections_closed").GetInt32());
        Assert.Equal(1, registry.Count(SpiffeId.FromString(CredentialBed.OtherAgentId)));
        Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync(new Uri("/tools/plain/y", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task RevokeTask_AbortsThatTasksRequestInFlight_AndNotTheAgentsOtherRequests()
    {
        await using var events = await StreamingUpstream.StartAsync();
        await using var bed = await AdminBed.StartAsync(configure: s => CredentialBed.AddTool(s, "events", null, events.Url));
        var taskId = "t-" + CredentialBed.Marker();
        using var taskClient = bed.Bed.CreateAgentClient();
        using var otherClient = bed.Bed.CreateAgentClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/tools/events/stream", UriKind.Relative))
        {
            Headers = { { "X-Task-Grant", bed.Bed.Orchestrator.Sign(CredentialBed.AgentId, taskId, DateTimeOffset.UtcNow.AddMinutes(30)) } },
        };
        using var response = await taskClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[256];
        Assert.True(await stream.ReadAsync(buffer) > 0);
        using var untasked = await otherClient.GetAsync(new Uri("/tools/events/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var untaskedStream = await untasked.Content.ReadAsStreamAsync();
        Assert.True(await untaskedStream.ReadAsync(buffer) > 0);

        var record = await bed.CreateAsync("task", taskId);

        Assert.True(await ReadUntilClosedAsync(stream, buffer));

        // Exactly one request was aborted: the task's, not the agent's untasked stream; the agent itself still works.
        Assert.Equal(1, record.GetProperty("connections_closed").GetInt32());
        using var third = bed.Bed.CreateAgentClient();
        Assert.Equal(HttpStatusCode.OK, (await third.GetAsync(new Uri("/tools/plain/x", UriKind.Relative))).StatusCode);
    }

    private static async Task<bool> ReadUntilClosedAsync(Stream stream, byte[] buffer)
    {
        try
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
                // Events written before the abort may still arrive; keep reading until the end.
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return true;
        }
    }

    /// <summary>A server-sent-events upstream that writes one event and then holds the response open until aborted.</summary>
    private sealed class StreamingUpstream : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private StreamingUpstream(WebApplication app, Uri url)
        {
            _app = app;
            Url = url;
        }

        public Uri Url { get; }

        public static async Task<StreamingUpstream> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(async context =>
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("data: first\n\n");
                await context.Response.Body.FlushAsync();
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The proxy went away.
                }
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new StreamingUpstream(app, new Uri(address.TrimEnd('/') + "/"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

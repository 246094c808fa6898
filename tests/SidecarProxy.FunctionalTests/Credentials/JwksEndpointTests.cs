using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.Credentials;
using SidecarProxy.Observability;
using SidecarProxy.Audit;

namespace SidecarProxy.FunctionalTests.Credentials;

public sealed class JwksEndpointTests
{
    [Fact]
    public async Task MapJwks_ServesKeySetOnLoopback()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["Sidecar:Credentials:minted:Kind"] = "jwt";
        builder.Configuration["Sidecar:Credentials:minted:Issuer"] = "https://sidecar.example";
        builder.Services.AddSidecarObservability();
        builder.Services.AddSidecarCredentials(builder.Configuration);
        builder.Services.AddSidecarAudit(builder.Configuration);
        await using var app = builder.Build();
        app.MapJwks();
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };

            using var response = await client.GetAsync(new Uri("/.well-known/jwks.json", UriKind.Relative));

            response.EnsureSuccessStatusCode();
            Assert.Equal("application/jwk-set+json", response.Content.Headers.ContentType?.MediaType);
            var document = await response.Content.ReadFromJsonAsync<JsonElement>();
            var key = Assert.Single(document.GetProperty("keys").EnumerateArray());
            Assert.Equal("ES256", key.GetProperty("alg").GetString());
        }
        finally
        {
            await app.StopAsync();
        }
    }
}

using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SidecarProxy.Credentials;
using SidecarProxy.Denials;
using SidecarProxy.Identity;
using SidecarProxy.Model;
using SidecarProxy.Routing;
using SidecarProxy.Spiffe;
using SidecarProxy.TaskGrants;
using SidecarProxy.TestSupport;
using SidecarProxy.Transforms;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SidecarProxy.Tests.Integration;

/// <summary>The glue between the pipeline seams and the credential, task-grant and strip components.</summary>
public sealed class WiringTests : IDisposable
{
    private const string Agent = "spiffe://example.org/agent/a";
    private readonly TestCa _root = TestCa.CreateRoot("example.org");
    private readonly X509Certificate2 _leaf;

    public WiringTests() => _leaf = _root.IssueSvid(Agent);

    public static TheoryData<bool, string?, int?, string?> Resolutions => new()
    {
        // required, header sent, expected status (null = no denial), expected grant_error
        { false, null, null, null },
        { true, null, 401, "task_grant_missing" },
        { false, "not-a-jwt", 401, "task_grant_malformed" },

        // No keys configured: a grant cannot be checked, which is the sidecar's fault, not the agent's.
        { false, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", 503, "task_grant_keys_unavailable" },
    };

    [Theory]
    [MemberData(nameof(Resolutions))]
    public async Task TaskGrantResolver_MapsEveryFailureToTaskGrantInvalid(bool required, string? header, int? status, string? grantError)
    {
        var validator = new TaskGrantValidator(
            Options.Create(new TaskGrantOptions { Required = required }), new NoTaskGrantKeySource(), TimeProvider.System,
            NullLogger<TaskGrantValidator>.Instance);
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers[TaskGrantValidator.HeaderName] = header;
        }

        var result = await new TaskGrantContextResolver(validator).ResolveAsync(context, Identity(), default);

        Assert.Null(result.Task);
        if (status is null)
        {
            Assert.Null(result.Denial);
            return;
        }

        Assert.Same(DenialCode.TaskGrantInvalid, result.Denial);
        Assert.Equal(status, result.Status);
        Assert.Equal(grantError, result.Extensions![TaskGrantContextResolver.GrantErrorMember]);
        Assert.DoesNotContain(header ?? "\u0000", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialTransformProvider_RejectsRouteNamingUnknownProviderAndListsConfigured()
    {
        var provider = Provider("github-app", "jira");
        var errors = Validate(provider, Route("r1", "gitlab"));

        var error = Assert.Single(errors);
        Assert.Contains("route 'r1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'gitlab'", error.Message, StringComparison.Ordinal);
        Assert.Contains("github-app, jira", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialTransformProvider_AcceptsKnownProviderCaseInsensitivelyAndRoutesWithout()
    {
        var provider = Provider("github-app");

        Assert.Empty(Validate(provider, Route("r1", "GitHub-App")));
        Assert.Empty(Validate(provider, Route("r2", null)));
    }

    [Fact]
    public void StrippedHeaders_IncludeEveryProviderHeaderAndConfiguredExtras()
    {
        var options = new CredentialsOptions { StripHeaders = ["X-Extra-Secret"] };
        options.Providers["k"] = new CredentialProviderOptions { Kind = "static", Header = "X-Api-Key" };

        var stripped = new StrippedHeaders([new CredentialStrippedHeaderSource(Options.Create(options))]);

        foreach (var name in new[] { "authorization", "Proxy-Authorization", "COOKIE", "x-api-key", "X-Extra-Secret", "X-Task-Grant" })
        {
            Assert.True(stripped.Contains(name), name);
        }

        Assert.False(stripped.Contains("Content-Type"));
    }

    public void Dispose()
    {
        _leaf.Dispose();
        _root.Dispose();
    }

    private PeerIdentity Identity() => new(SpiffeId.FromString(Agent), "sha256:00", DateTimeOffset.UtcNow.AddHours(1), _leaf);

    private static CredentialTransformProvider Provider(params string[] names)
    {
        var options = new CredentialsOptions();
        foreach (var name in names)
        {
            options.Providers[name] = new CredentialProviderOptions { Kind = "jwt" };
        }

        return new CredentialTransformProvider(Options.Create(options), new ServiceCollection().BuildServiceProvider());
    }

    private static RouteConfig Route(string id, string? credential)
    {
        var metadata = new Dictionary<string, string> { [ToolDescriptor.ToolKey] = "t" };
        if (credential is not null)
        {
            metadata[ToolDescriptor.CredentialKey] = credential;
        }

        return new RouteConfig { RouteId = id, ClusterId = "c", Match = new RouteMatch { Path = "/{**rest}" }, Metadata = metadata };
    }

    private static IList<Exception> Validate(CredentialTransformProvider provider, RouteConfig route)
    {
        var context = new TransformRouteValidationContext { Route = route, Services = new ServiceCollection().BuildServiceProvider() };
        provider.ValidateRoute(context);
        return context.Errors;
    }
}

using SidecarProxy.TaskGrants;

namespace SidecarProxy.Tests.TaskGrants;

public sealed class TaskGrantOptionsValidatorTests
{
    [Fact]
    public void AllErrorsListed()
    {
        var result = new TaskGrantOptionsValidator().Validate(null, new TaskGrantOptions
        {
            JwksPath = "/nonexistent/jwks.json",
            JwksUrl = new Uri("ftp://orchestrator.example/jwks"),
            ClockSkew = TimeSpan.FromHours(1),
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("not both", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Issuer is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("absolute http(s) URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ClockSkew", StringComparison.Ordinal));
        Assert.Equal(5, failures.Count);
    }

    [Fact]
    public void RequiredWithoutKeys_Fails()
    {
        var result = new TaskGrantOptionsValidator().Validate(null, new TaskGrantOptions { Required = true });

        Assert.Contains("neither JwksPath nor JwksUrl", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_Valid() => Assert.True(new TaskGrantOptionsValidator().Validate(null, new TaskGrantOptions()).Succeeded);
}

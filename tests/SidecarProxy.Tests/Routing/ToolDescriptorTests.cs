using SidecarProxy.Model;
using SidecarProxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace SidecarProxy.Tests.Routing;

public sealed class ToolDescriptorTests
{
    [Fact]
    public void Metadata_GivesIdCredentialLabelsAndRemovedPrefix()
    {
        var route = new RouteConfig
        {
            RouteId = "r",
            Metadata = new Dictionary<string, string>
            {
                ["Tool"] = "github",
                ["Credential"] = "gh-app",
                ["Labels.risk"] = "write",
                ["Labels.team"] = "platform",
                ["Other"] = "ignored",
            },
            Transforms = [new Dictionary<string, string> { ["PathRemovePrefix"] = "/tools/github" }],
        };

        Assert.Empty(ToolDescriptor.Validate(route));
        var tool = ToolDescriptor.For(route);
        Assert.Equal("github", tool.Id);
        Assert.Equal("gh-app", tool.Credential);
        Assert.Equal("/tools/github", tool.PathPrefix);
        Assert.Equal(2, tool.Labels.Count);
        Assert.Equal("write", tool.Labels["risk"]);
        Assert.Same(tool, ToolDescriptor.For(route));
    }

    [Theory]
    [InlineData(null, "Metadata.Tool is required")]
    [InlineData("", "Metadata.Tool is required")]
    [InlineData("GitHub", "must use only")]
    [InlineData("git hub", "must use only")]
    public void InvalidTool_IsAConfigurationError(string? tool, string message)
    {
        var metadata = new Dictionary<string, string>();
        if (tool is not null)
        {
            metadata["Tool"] = tool;
        }

        var route = new RouteConfig { RouteId = "r", Metadata = metadata };

        Assert.Contains(ToolDescriptor.Validate(route), e => e.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void EmptyLabelName_IsAConfigurationError()
    {
        var route = new RouteConfig
        {
            RouteId = "r",
            Metadata = new Dictionary<string, string> { ["Tool"] = "t", ["Labels."] = "x" },
        };

        Assert.Single(ToolDescriptor.Validate(route));
    }
}

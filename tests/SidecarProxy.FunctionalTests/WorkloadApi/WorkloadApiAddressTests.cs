using SidecarProxy.Identity.WorkloadApi;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

public sealed class WorkloadApiAddressTests
{
    [Theory]
    [InlineData("unix:///run/spire/agent.sock", "/run/spire/agent.sock")]
    [InlineData("unix:/run/spire/agent.sock", "/run/spire/agent.sock")]
    [InlineData("unix:///tmp/spire-agent/public/api.sock", "/tmp/spire-agent/public/api.sock")]
    public void UnixAddress_GivesSocketPath(string value, string expectedPath)
    {
        Assert.True(WorkloadApiAddress.TryParse(value, out var address, out var error), error);
        Assert.Equal(expectedPath, address!.UnixSocketPath);
        Assert.Null(address.TcpEndPoint);
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:8000", "127.0.0.1:8000")]
    [InlineData("tcp://[::1]:8000", "[::1]:8000")]
    public void TcpAddress_GivesEndPoint(string value, string expected)
    {
        Assert.True(WorkloadApiAddress.TryParse(value, out var address, out var error), error);
        Assert.Equal(expected, address!.TcpEndPoint!.ToString());
        Assert.Null(address.UnixSocketPath);
    }

    [Theory]
    [InlineData("", "workload endpoint address is empty")]
    [InlineData("   ", "workload endpoint address is empty")]
    [InlineData("agent.sock", "workload endpoint address is not a URI")]
    [InlineData("unix:run/agent.sock", "workload endpoint unix socket URI must not be opaque")]
    [InlineData("unix://agent-host/run/agent.sock", "workload endpoint unix socket URI must not include an authority component")]
    [InlineData("unix:///", "workload endpoint unix socket path is empty")]
    [InlineData("unix:///run/agent.sock?x=1", "workload endpoint address must not include a query or fragment")]
    [InlineData("unix:///run/agent.sock#frag", "workload endpoint address must not include a query or fragment")]
    [InlineData("tcp://user@127.0.0.1:8000", "workload endpoint address must not include user info")]
    [InlineData("tcp://localhost:8000", "workload endpoint tcp address host must be an IP address")]
    [InlineData("tcp://127.0.0.1", "workload endpoint tcp address must include a port")]
    [InlineData("tcp://127.0.0.1:8000/api", "workload endpoint tcp address must not include a path")]
    [InlineData("http://127.0.0.1:8000", "workload endpoint address scheme must be unix or tcp")]
    [InlineData("/run/agent.sock", "workload endpoint address scheme must be unix or tcp")]
    public void MalformedAddress_IsRefusedWithReason(string value, string expectedError)
    {
        Assert.False(WorkloadApiAddress.TryParse(value, out var address, out var error));
        Assert.Null(address);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void NullAddress_IsRefused()
    {
        Assert.False(WorkloadApiAddress.TryParse(null, out _, out var error));
        Assert.Equal("workload endpoint address is empty", error);
    }
}

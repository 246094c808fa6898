namespace SidecarProxy.Model;

/// <summary>The tool the request was routed to; set by the route stage, read by every later stage.</summary>
internal interface IToolFeature
{
    ToolDescriptor Tool { get; }
}

internal sealed class ToolFeature(ToolDescriptor tool) : IToolFeature
{
    public ToolDescriptor Tool { get; } = tool;
}

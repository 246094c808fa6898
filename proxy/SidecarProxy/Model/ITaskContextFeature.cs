namespace SidecarProxy.Model;

/// <summary>The resolved task of this request, for the later stages.</summary>
internal interface ITaskContextFeature
{
    TaskContext? Task { get; }
}

internal sealed class TaskContextFeature(TaskContext? task) : ITaskContextFeature
{
    public TaskContext? Task { get; } = task;
}

using Microsoft.AspNetCore.Http;
using SidecarProxy.Denials;
using SidecarProxy.Identity;
using SidecarProxy.Model;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// The task-context stage's seam: reads and verifies the agent's task grant (<c>X-Task-Grant</c>). The default
/// resolves no task; the task-grant component replaces it.
/// </summary>
internal interface ITaskContextResolver
{
    ValueTask<TaskContextResult> ResolveAsync(HttpContext context, PeerIdentity identity, CancellationToken ct);
}

/// <summary>A task (or none), or a denial with a code such as <see cref="DenialCode.TaskGrantInvalid"/>.</summary>
internal readonly record struct TaskContextResult(TaskContext? Task, DenialCode? Denial, string? Detail)
{
    public static TaskContextResult None => default;

    /// <summary>Status of the denial when it is not the code's default (503 when grant keys cannot be loaded).</summary>
    public int? Status { get; init; }

    /// <summary>Extra problem members of the denial (e.g. the finer <c>grant_error</c>); never a secret.</summary>
    public IReadOnlyDictionary<string, string>? Extensions { get; init; }

    public static TaskContextResult For(TaskContext task) => new(task, null, null);

    public static TaskContextResult Deny(DenialCode code, string detail) => new(null, code, detail);
}

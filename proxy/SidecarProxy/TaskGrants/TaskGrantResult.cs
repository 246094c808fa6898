using SidecarProxy.Model;
using SidecarProxy.Pipeline;

namespace SidecarProxy.TaskGrants;

/// <summary>
/// Outcome of checking <c>X-Task-Grant</c>: no grant (allowed), a verified <see cref="TaskContext"/>, or a
/// failure with a short reason that never quotes the token.
/// </summary>
internal sealed class TaskGrantResult
{
    private TaskGrantResult(TaskContext? task, TaskGrantFailure? failure, string? claimedTaskId = null)
    {
        Task = task;
        Failure = failure;
        ClaimedTaskId = claimedTaskId;
    }

    /// <summary>No grant was sent and none is required: <c>input.task</c> is null.</summary>
    public static TaskGrantResult None { get; } = new(null, null);

    public TaskContext? Task { get; }

    public TaskGrantFailure? Failure { get; }

    /// <summary>
    /// For a rejected grant that could be parsed: the task id it claims (<c>task_id</c>, else <c>jti</c>), read
    /// WITHOUT trusting it (the grant failed verification), for the audit trail only. Never used for decisions.
    /// </summary>
    public string? ClaimedTaskId { get; }

    public bool Succeeded => Failure is null;

    /// <summary>Human-readable reason, for the problem document's detail.</summary>
    public string? Reason => Failure is { } f ? ReasonOf(f) : null;

    /// <summary>Stable machine code for the problem document and the metric's <c>reason</c> label.</summary>
    public string? Code => Failure is { } f ? CodeOf(f) : null;

    /// <summary>401 for a bad or missing grant; 503 when keys cannot be loaded.</summary>
    public int StatusCode => Failure switch
    {
        null => 200,
        TaskGrantFailure.KeysUnavailable => 503,
        _ => 401,
    };

    public static TaskGrantResult Valid(TaskContext task) => new(task ?? throw new ArgumentNullException(nameof(task)), null);

    public static TaskGrantResult Fail(TaskGrantFailure failure) => new(null, failure);

    /// <summary>A failure of a grant that parsed, with the task id it claims (unverified; see <see cref="ClaimedTaskId"/>).</summary>
    public static TaskGrantResult Fail(TaskGrantFailure failure, string? claimedTaskId) => new(null, failure, claimedTaskId);

    public static string ReasonOf(TaskGrantFailure failure) => failure switch
    {
        TaskGrantFailure.Missing => "missing",
        TaskGrantFailure.Malformed => "malformed",
        TaskGrantFailure.AlgorithmNotAllowed => "algorithm not allowed",
        TaskGrantFailure.BadSignature => "bad signature",
        TaskGrantFailure.WrongIssuer => "wrong issuer",
        TaskGrantFailure.WrongAudience => "wrong audience",
        TaskGrantFailure.Expired => "expired",
        TaskGrantFailure.NotYetValid => "not yet valid",
        TaskGrantFailure.SubjectMismatch => "subject does not match the agent's SPIFFE ID",
        TaskGrantFailure.NoTaskId => "no task id",
        TaskGrantFailure.KeysUnavailable => "task grant keys unavailable",
        _ => "invalid",
    };

    public static string CodeOf(TaskGrantFailure failure) => failure switch
    {
        TaskGrantFailure.Missing => "task_grant_missing",
        TaskGrantFailure.Malformed => "task_grant_malformed",
        TaskGrantFailure.AlgorithmNotAllowed => "task_grant_algorithm",
        TaskGrantFailure.BadSignature => "task_grant_signature",
        TaskGrantFailure.WrongIssuer => "task_grant_issuer",
        TaskGrantFailure.WrongAudience => "task_grant_audience",
        TaskGrantFailure.Expired => "task_grant_expired",
        TaskGrantFailure.NotYetValid => "task_grant_not_yet_valid",
        TaskGrantFailure.SubjectMismatch => "task_grant_subject",
        TaskGrantFailure.NoTaskId => "task_grant_no_task_id",
        TaskGrantFailure.KeysUnavailable => "task_grant_keys_unavailable",
        _ => "task_grant_invalid",
    };

    public override string ToString() => Failure is null ? $"TaskGrantResult {{ Task = {Task?.Id ?? "none"} }}" : $"TaskGrantResult {{ Failure = {Code} }}";
}

namespace SidecarProxy.Approvals;

/// <summary>
/// The shared approval store (Redis) cannot be reached or failed: nothing was read or changed. Agent requests that
/// need an approval are refused with 503 <c>approval_unavailable</c>; the approvals API answers 503
/// <c>approval_store_unavailable</c> (<see cref="ApprovalStoreUnavailableMiddleware"/>). The message never holds
/// the connection string.
/// </summary>
internal sealed class ApprovalStoreUnavailableException : Exception
{
    public ApprovalStoreUnavailableException()
        : base("the approval store (Redis) is unavailable")
    {
    }

    public ApprovalStoreUnavailableException(string message)
        : base(message)
    {
    }

    public ApprovalStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace SidecarProxy.Configuration;

/// <summary>The sidecar cannot start; <see cref="Errors"/> lists every reason, one per line of output.</summary>
internal sealed class StartupException : Exception
{
    public StartupException()
        : this([])
    {
    }

    public StartupException(string message)
        : this([message])
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public StartupException(IReadOnlyList<string> errors)
        : base("SidecarProxy cannot start:" + string.Concat(errors.Select(e => Environment.NewLine + "  - " + e)))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}

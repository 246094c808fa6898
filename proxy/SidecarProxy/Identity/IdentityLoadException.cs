namespace SidecarProxy.Identity;

/// <summary>An identity file is missing, unreadable, half-written or inconsistent. The message names the file.</summary>
internal sealed class IdentityLoadException : Exception
{
    public IdentityLoadException()
    {
    }

    public IdentityLoadException(string message)
        : base(message)
    {
    }

    public IdentityLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

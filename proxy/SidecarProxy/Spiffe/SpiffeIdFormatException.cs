namespace SidecarProxy.Spiffe;

/// <summary>Thrown by the throwing parse methods; carries the closed <see cref="SpiffeIdError"/> value.</summary>
internal sealed class SpiffeIdFormatException : FormatException
{
    public SpiffeIdFormatException()
        : this(SpiffeIdError.Empty)
    {
    }

    public SpiffeIdFormatException(string message)
        : base(message)
    {
    }

    public SpiffeIdFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SpiffeIdFormatException(SpiffeIdError error)
        : base(error.Message())
    {
        Error = error;
    }

    public SpiffeIdError Error { get; }
}

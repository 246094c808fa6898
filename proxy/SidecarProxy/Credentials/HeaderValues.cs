namespace SidecarProxy.Credentials;

/// <summary>Builds and checks header values that carry credentials.</summary>
internal static class HeaderValues
{
    public static string WithScheme(string scheme, string token) =>
        string.IsNullOrEmpty(scheme) ? token : scheme + " " + token;

    /// <summary>
    /// Visible ASCII and spaces only: a CR or LF from a secret file or a token endpoint must never reach the
    /// outgoing request, where it would split headers.
    /// </summary>
    public static bool IsSafe(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}

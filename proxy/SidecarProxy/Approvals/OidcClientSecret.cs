namespace SidecarProxy.Approvals;

/// <summary>Reads the console's client secret from <c>Sidecar:Approvals:Oidc:ClientSecretFile</c>. Problems name the file, never its content.</summary>
internal static class OidcClientSecret
{
    // A secret is short; a larger file is a wrong path (a certificate bundle, a log), not a secret.
    private const long MaxBytes = 4096;

    public static bool TryRead(string path, out string secret, out string? problem)
    {
        secret = string.Empty;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                problem = $"file '{path}' does not exist";
                return false;
            }

            if (info.Length > MaxBytes)
            {
                problem = $"file '{path}' is larger than {MaxBytes} bytes; it should hold only the secret";
                return false;
            }

            // Mounted secrets often end with a newline that is not part of the secret.
            secret = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problem = $"file '{path}' cannot be read ({ex.GetType().Name})";
            return false;
        }

        if (secret.Length == 0)
        {
            problem = $"file '{path}' is empty";
            return false;
        }

        problem = null;
        return true;
    }
}

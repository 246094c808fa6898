using Microsoft.Extensions.Logging;

namespace SidecarProxy.Credentials;

/// <summary>
/// Reads a secret from a file at use time, so a rotated secret is picked up without restart. Errors name the
/// file, never its content.
/// </summary>
internal static class SecretFile
{
    // Secrets are small; a bigger file is a misconfiguration (wrong path), not a secret.
    private const long MaxBytes = 64 * 1024;

    public static async ValueTask<string> ReadAsync(string providerName, string path, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxBytes)
            {
                throw new IOException("secret file too large");
            }

            var value = (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
            if (value.Length == 0)
            {
                throw new IOException("secret file empty");
            }

            return value;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CredentialLog.SecretFileUnreadable(logger, providerName, path, ex.GetType().Name);
            throw new CredentialUnavailableException($"credential provider '{providerName}': secret file cannot be read");
        }
    }
}

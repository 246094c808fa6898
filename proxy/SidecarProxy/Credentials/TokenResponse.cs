using System.Text;

namespace SidecarProxy.Credentials;

/// <summary>The parts of an OAuth 2.0 token response the sidecar uses. Redacted in <see cref="ToString"/>.</summary>
internal sealed record TokenResponse(string AccessToken, TimeSpan? ExpiresIn)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("AccessToken = [redacted], ExpiresIn = ").Append(ExpiresIn);
        return true;
    }
}

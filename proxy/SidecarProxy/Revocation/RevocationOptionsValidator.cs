using Microsoft.Extensions.Options;

namespace SidecarProxy.Revocation;

/// <summary>Checks <c>Sidecar:Revocations</c>; every error names its key.</summary>
internal sealed class RevocationOptionsValidator : IValidateOptions<RevocationOptions>
{
    public ValidateOptionsResult Validate(string? name, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var statePath = options.StatePath;
        if (statePath is not null)
        {
            var directory = string.IsNullOrWhiteSpace(statePath) ? null : Path.GetDirectoryName(Path.GetFullPath(statePath));
            if (directory is null || !Directory.Exists(directory))
            {
                errors.Add($"Sidecar:Revocations:StatePath: the directory of '{statePath}' does not exist");
            }
            else if (Directory.Exists(statePath))
            {
                errors.Add($"Sidecar:Revocations:StatePath: '{statePath}' is a directory; name a file");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

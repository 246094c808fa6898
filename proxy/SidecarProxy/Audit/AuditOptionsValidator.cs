using Microsoft.Extensions.Options;

namespace SidecarProxy.Audit;

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            errors.Add($"{AuditOptions.SectionName}:Path is required (a file, or - for stdout).");
        }
        else if (options.Path != "-")
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
            if (directory is not null && !Directory.Exists(directory))
            {
                errors.Add($"{AuditOptions.SectionName}:Path: directory '{directory}' does not exist.");
            }
        }

        if (options.QueueCapacity < 1)
        {
            errors.Add($"{AuditOptions.SectionName}:QueueCapacity must be at least 1.");
        }

        if (!Enum.IsDefined(options.OnFailure))
        {
            errors.Add($"{AuditOptions.SectionName}:OnFailure must be deny or serve.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

namespace SidecarProxy.Policy;

/// <summary>The <c>Sidecar:Policy</c> configuration section.</summary>
internal sealed record PolicyOptions
{
    public const string SectionName = "Sidecar:Policy";

    /// <summary><c>embedded</c> (the project's Rego engine, default) or <c>opa</c> (an OPA server).</summary>
    public string Engine { get; init; } = "embedded";

    /// <summary>Directory of <c>.rego</c> files and <c>data.json</c>/<c>data.yaml</c>, embedded mode.</summary>
    public string Directory { get; init; } = "policies";

    /// <summary>The rule to evaluate, as a data reference.</summary>
    public string Decision { get; init; } = "data.sidecar.authz.decision";

    /// <summary>OPA server base URL, opa mode.</summary>
    public Uri OpaUrl { get; init; } = new("http://127.0.0.1:8181");

    /// <summary>Deadline for one decision (either engine).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(250);

    public bool IsOpa => string.Equals(Engine, "opa", StringComparison.OrdinalIgnoreCase);

    /// <summary>The decision reference as a Data API path: <c>data.sidecar.authz.decision</c> → <c>sidecar/authz/decision</c>.</summary>
    public string DecisionDataPath => (Decision.StartsWith("data.", StringComparison.Ordinal) ? Decision[5..] : Decision).Replace('.', '/');

    /// <summary>Every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.Equals(Engine, "embedded", StringComparison.OrdinalIgnoreCase) && !IsOpa)
        {
            errors.Add($"Sidecar:Policy:Engine must be 'embedded' or 'opa', not '{Engine}'");
        }

        if (!Decision.StartsWith("data.", StringComparison.Ordinal) || Decision.Length <= 5 || Decision.Split('.').Any(s => s.Length == 0))
        {
            errors.Add($"Sidecar:Policy:Decision must be a data reference such as data.sidecar.authz.decision, not '{Decision}'");
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromSeconds(30))
        {
            errors.Add("Sidecar:Policy:Timeout must be between 0 and 30 seconds");
        }

        if (IsOpa && (!OpaUrl.IsAbsoluteUri || (OpaUrl.Scheme != Uri.UriSchemeHttp && OpaUrl.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add("Sidecar:Policy:OpaUrl must be an absolute http(s) URL");
        }

        if (!IsOpa && !System.IO.Directory.Exists(Directory))
        {
            errors.Add($"Sidecar:Policy:Directory '{Directory}' does not exist");
        }

        return errors;
    }
}

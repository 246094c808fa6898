using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Conformance;

/// <summary>One case of OPA's conformance suite (schema: OPA's v1/test/cases/testdata/v1 YAML files).</summary>
public sealed class ConformanceCase
{
    public required string Id { get; init; }

    public string? Note { get; init; }

    public required string Query { get; init; }

    public IReadOnlyList<string> Modules { get; init; } = [];

    public RegoValue? Data { get; init; }

    public RegoValue? Input { get; init; }

    public string? InputTerm { get; init; }

    /// <summary>Null when the case expects an error instead.</summary>
    public RegoValue? WantResult { get; init; }

    public string? WantErrorCode { get; init; }

    public string? WantError { get; init; }

    public bool StrictError { get; init; }

    public bool SortBindings { get; init; }
}

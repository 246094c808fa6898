namespace SidecarProxy.Rego.Conformance;

/// <summary>
/// One test per OPA conformance case (id "folder/file.yaml#index"). A case listed in known-failures.txt must fail,
/// every other case must pass. Without a conformance folder the run is a single failing test that says why.
/// </summary>
public sealed class ConformanceTests(ConformanceTally tally) : IClassFixture<ConformanceTally>
{
    // Stands in for the whole suite when there are no cases, so a misconfigured run fails instead of passing empty.
    public const string NoCasesId = "<no conformance cases>";

    public static IEnumerable<object[]> CaseIds()
    {
        var cases = ConformanceSuite.Cases;
        if (cases.Count == 0)
        {
            yield return [NoCasesId];
            yield break;
        }

        foreach (var id in cases.Keys.Order(StringComparer.Ordinal))
        {
            yield return [id];
        }
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    [Trait("Category", "Conformance")]
    public void Case(string id)
    {
        if (id == NoCasesId)
        {
            var location = ConformanceSuite.Location;
            Assert.Fail(location.Problem ?? $"{location.Path} holds no *.yaml conformance cases");
        }

        Assert.True(ConformanceSuite.Cases.TryGetValue(id, out var c), $"conformance case {id} not found in {ConformanceSuite.Location.Path}");
        var failure = ConformanceRunner.Run(c!);
        var known = KnownFailures.Default.Contains(id);
        tally.Record(failure is null, known);
        if (failure is not null)
        {
            FailureRecorder.Record(id, failure);
        }

        if (known)
        {
            Assert.False(failure is null, $"{id} passes now: remove it from {KnownFailures.FileName}");
        }
        else
        {
            Assert.True(failure is null, failure);
        }
    }
}

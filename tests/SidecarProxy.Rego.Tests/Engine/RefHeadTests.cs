using SidecarProxy.Rego.Values;
using static SidecarProxy.Rego.Tests.Engine.RegoTestHelpers;

namespace SidecarProxy.Rego.Tests.Engine;

public sealed class RefHeadTests
{
    [Fact]
    public void GeneralRefHeads_NestObjects_MultiValueLeaves_AndOverlaps()
    {
        var p = Compile("""
            package t
            by_role[role][id] := u.name if { some u in data.users; id := u.id; role := u.role }
            by_role.admin[id] := a.name if { some a in data.admins; id := a.id }
            by_country[c] contains u.id if { some u in data.users; c := u.country }
            """, """
            {"users": [{"id": "1", "name": "ann", "role": "dev", "country": "se"}, {"id": "2", "name": "bob", "role": "admin", "country": "se"}],
             "admins": [{"id": "9", "name": "root"}]}
            """);
        AssertValue("""{"admin": {"2": "bob", "9": "root"}, "dev": {"1": "ann"}}""", p.Eval("data.t.by_role"));
        AssertValue("\"root\"", p.Eval("data.t.by_role.admin[\"9\"]"));
        Assert.Equal(RegoSet.From(RegoValue.From("1"), RegoValue.From("2")), p.Eval("data.t.by_country.se"));
    }

    [Fact]
    public void OverlappingRefHeads_ConflictOnDifferentLeaves()
    {
        var p = Compile("""
            package t
            m[k] := 1 if { some k in ["a", "b"] }
            m.a := 2
            """);
        var e = Assert.Throws<RegoEvaluationException>(() => p.Eval("data.t.m"));
        Assert.Equal("eval_conflict_error", e.Code);
    }
}

using CsCheck;
using SidecarProxy.Identity;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Tests.Identity;

public sealed class SpiffeIdTests
{
    // Cases after the SPIFFE ID specification and go-spiffe's spiffeid/id_test.go.
    public static TheoryData<string, string, string> ValidIds => new()
    {
        { "spiffe://trustdomain", "trustdomain", "" },
        { "spiffe://trustdomain/path", "trustdomain", "/path" },
        { "spiffe://trustdomain/path/element", "trustdomain", "/path/element" },
        { "spiffe://trust-domain.example_1/a_b/c-d/e.f", "trust-domain.example_1", "/a_b/c-d/e.f" },
        { "spiffe://td/UPPER/Case", "td", "/UPPER/Case" },
        { "spiffe://td/.../.a/..b", "td", "/.../.a/..b" },
        { "spiffe://1.2.3.4/agent", "1.2.3.4", "/agent" },
    };

    public static TheoryData<string?, string> InvalidIds => new()
    {
        { null, nameof(SpiffeIdError.Empty) },
        { "", nameof(SpiffeIdError.Empty) },
        { "http://td/path", nameof(SpiffeIdError.WrongScheme) },
        { "SPIFFE://td/path", nameof(SpiffeIdError.WrongScheme) },
        { "spiffe:/td/path", nameof(SpiffeIdError.WrongScheme) },
        { "spiffe:td", nameof(SpiffeIdError.WrongScheme) },
        { "td/path", nameof(SpiffeIdError.WrongScheme) },
        { "spiffe://", nameof(SpiffeIdError.MissingTrustDomain) },
        { "spiffe:///path", nameof(SpiffeIdError.MissingTrustDomain) },
        { "spiffe://Trustdomain/path", nameof(SpiffeIdError.BadTrustDomainChar) },
        { "spiffe://td:8443/path", nameof(SpiffeIdError.BadTrustDomainChar) },
        { "spiffe://user@td/path", nameof(SpiffeIdError.BadTrustDomainChar) },
        { "spiffe://td?query", nameof(SpiffeIdError.BadTrustDomainChar) },
        { "spiffe://td#fragment", nameof(SpiffeIdError.BadTrustDomainChar) },
        { "spiffe://[::1]/path", nameof(SpiffeIdError.BadTrustDomainChar) },
        { "spiffe://td/path?query", nameof(SpiffeIdError.BadPathSegmentChar) },
        { "spiffe://td/path#fragment", nameof(SpiffeIdError.BadPathSegmentChar) },
        { "spiffe://td/pa th", nameof(SpiffeIdError.BadPathSegmentChar) },
        { "spiffe://td/%41", nameof(SpiffeIdError.BadPathSegmentChar) },
        { "spiffe://td/caf\u00e9", nameof(SpiffeIdError.BadPathSegmentChar) },
        { "spiffe://td//path", nameof(SpiffeIdError.EmptySegment) },
        { "spiffe://td/a//b", nameof(SpiffeIdError.EmptySegment) },
        { "spiffe://td/.", nameof(SpiffeIdError.DotSegment) },
        { "spiffe://td/..", nameof(SpiffeIdError.DotSegment) },
        { "spiffe://td/./a", nameof(SpiffeIdError.DotSegment) },
        { "spiffe://td/a/../b", nameof(SpiffeIdError.DotSegment) },
        { "spiffe://td/", nameof(SpiffeIdError.TrailingSlash) },
        { "spiffe://td/a/", nameof(SpiffeIdError.TrailingSlash) },
    };

    [Theory]
    [MemberData(nameof(ValidIds))]
    public void ValidId_ParsesIntoTrustDomainAndPath(string text, string trustDomain, string path)
    {
        var id = SpiffeId.FromString(text);

        Assert.Equal(trustDomain, id.TrustDomain.Name);
        Assert.Equal(path, id.Path);
        Assert.Equal(text, id.ToString());
        Assert.False(id.IsZero);
    }

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public void InvalidId_YieldsDocumentedError(string? text, string expected)
    {
        Assert.False(SpiffeId.TryParse(text, out var id, out var error));
        Assert.Equal(expected, error.ToString());
        Assert.True(id.IsZero);
    }

    [Fact]
    public void InvalidId_FromStringThrowsFormatExceptionWithGoSpiffeMessage()
    {
        var ex = Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.FromString("spiffe://td/"));

        Assert.Equal(SpiffeIdError.TrailingSlash, ex.Error);
        Assert.Equal("path cannot have a trailing slash", ex.Message);
    }

    [Fact]
    public void FromUri_UsesOriginalTextSoNormalisationCannotHideErrors()
    {
        // System.Uri lowercases the host and removes dot segments; both must still be rejected.
        Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.FromUri(new Uri("spiffe://TD/path")));
        Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.FromUri(new Uri("spiffe://td/a/../b")));
        Assert.Equal("spiffe://td/a", SpiffeId.FromUri(new Uri("spiffe://td/a")).ToString());
    }

    [Fact]
    public void FromSegments_RejectsSlashInsideSegment()
    {
        var td = TrustDomain.FromString("example.org");

        Assert.Equal("spiffe://example.org/a/b", SpiffeId.FromSegments(td, "a", "b").ToString());
        Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.FromSegments(td, "a/b"));
        Assert.Throws<SpiffeIdFormatException>(() => SpiffeId.FromSegments(td, ".."));
    }

    [Fact]
    public void PathWithoutLeadingSlash_IsNoLeadingSlash()
    {
        Assert.Equal(SpiffeIdError.NoLeadingSlash, SpiffeIdSyntax.ValidatePath("a/b"));
        Assert.Equal(SpiffeIdError.None, SpiffeIdSyntax.ValidatePath(""));
    }

    [Fact]
    public void Equality_IsOrdinalOnTheWholeId()
    {
        Assert.Equal(SpiffeId.FromString("spiffe://td/a"), SpiffeId.FromString("spiffe://td/a"));
        Assert.NotEqual(SpiffeId.FromString("spiffe://td/a"), SpiffeId.FromString("spiffe://td/A"));
        Assert.True(default(SpiffeId).IsZero);
    }

    [Fact]
    public void AnyString_ParsesOrYieldsOneDocumentedErrorWithoutThrowing()
    {
        // Mostly characters that matter to the grammar, so generated strings reach deep into the parser.
        var interesting = Gen.Char["spiffe:/.-_azAZ09?#@%[] \u00e9"].Array[0, 40].Select(c => new string(c));
        var prefixed = interesting.Select(s => "spiffe://" + s);
        var gen = Gen.OneOf(Gen.String, interesting, prefixed);

        gen.Sample(text =>
        {
            var ok = SpiffeId.TryParse(text, out var id, out var error);
            if (ok)
            {
                Assert.Equal(SpiffeIdError.None, error);
                Assert.Equal(text, id.ToString());
            }
            else
            {
                Assert.NotEqual(SpiffeIdError.None, error);
                Assert.True(Enum.IsDefined(error));
                Assert.False(string.IsNullOrEmpty(error.Message()));
            }
        });
    }

    [Fact]
    public void ValidIds_RoundTripThroughStringAndUri()
    {
        var tdChar = Gen.Char["abcxyz0129.-_"];
        var segChar = Gen.Char["abcXYZ0129.-_"];
        var trustDomain = tdChar.Array[1, 20].Select(c => new string(c));
        var segment = segChar.Array[1, 12].Select(c => new string(c)).Where(s => s is not "." and not "..");
        var gen = Gen.Select(trustDomain, segment.Array[0, 6]);

        gen.Sample((td, segments) =>
        {
            var id = SpiffeId.FromSegments(TrustDomain.FromString(td), segments);
            var reparsed = SpiffeId.FromString(id.ToString());

            Assert.Equal(id, reparsed);
            Assert.Equal(td, reparsed.TrustDomain.Name);
            Assert.Equal(segments.Length == 0 ? "" : "/" + string.Join('/', segments), reparsed.Path);
        });
    }

    [Theory]
    [InlineData("", nameof(SpiffeIdError.MissingTrustDomain))]
    [InlineData("Example.org", nameof(SpiffeIdError.BadTrustDomainChar))]
    [InlineData("example.org:443", nameof(SpiffeIdError.BadTrustDomainChar))]
    public void InvalidTrustDomain_YieldsDocumentedError(string name, string expected)
    {
        Assert.False(TrustDomain.TryParse(name, out _, out var error));
        Assert.Equal(expected, error.ToString());
    }
}

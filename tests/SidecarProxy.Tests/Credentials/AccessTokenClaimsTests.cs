using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.Credentials;

namespace SidecarProxy.Tests.Credentials;

/// <summary>An access token is refused only when it is a JWT that says it is useless; anything else passes unread.</summary>
public sealed class AccessTokenClaimsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Requested = ["https://api.example", "https://api.example/v1"];

    private static string Jwt(object claims) =>
        Base64UrlEncoder.Encode("{\"alg\":\"ES256\"}") + "." + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(claims)) + ".c2ln";

    public static TheoryData<string, string?> Tokens => new()
    {
        { "opaque-token-value", null },
        { "a.b", null },
        { "a.!!!.c", null },
        { "a." + Base64UrlEncoder.Encode("not json") + ".c", null },
        { "a." + Base64UrlEncoder.Encode("[1,2]") + ".c", null },
        { Jwt(new { exp = Now.AddMinutes(5).ToUnixTimeSeconds(), aud = "https://api.example" }), null },
        { Jwt(new { exp = Now.AddMinutes(5).ToUnixTimeSeconds(), aud = new[] { "other", "https://api.example/v1" } }), null },
        { Jwt(new { aud = "https://api.example" }), null },
        { Jwt(new { exp = Now.ToUnixTimeSeconds() }), "access_token is a JWT that has already expired" },
        { Jwt(new { exp = Now.AddMinutes(-5).ToUnixTimeSeconds(), aud = "https://api.example" }), "access_token is a JWT that has already expired" },
        { Jwt(new { exp = Now.AddMinutes(5).ToUnixTimeSeconds(), aud = "https://elsewhere.example" }), "access_token is a JWT for another audience" },
        { Jwt(new { aud = new[] { "a", "b" } }), "access_token is a JWT for another audience" },
        { Jwt(new { aud = 42 }), "access_token is a JWT for another audience" },
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public void FindProblem_RefusesOnlyUselessJwts(string token, string? expected) =>
        Assert.Equal(expected, AccessTokenClaims.FindProblem(token, Requested, Now));

    [Fact]
    public void NoAudienceAsked_AudienceIsNotChecked() =>
        Assert.Null(AccessTokenClaims.FindProblem(Jwt(new { aud = "anything" }), null, Now));

    [Fact]
    public void HugePayload_IsNotRead() =>
        Assert.Null(AccessTokenClaims.FindProblem("a." + new string('A', 20_000) + ".c", Requested, Now));

    [Fact]
    public void Problem_NeverQuotesTheToken()
    {
        var token = Jwt(new { exp = 1, aud = "secret-audience-CANARY" });
        var problem = AccessTokenClaims.FindProblem(token, Requested, Now);
        Assert.NotNull(problem);
        Assert.DoesNotContain("CANARY", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(token, problem, StringComparison.Ordinal);
    }
}

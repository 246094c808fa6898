using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class JwtBuiltinsTests
{
    // RFC 7515 appendix A.1's HMAC key.
    private const string OctJwk = "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";

    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static RegoValue? Call(string name, params RegoValue[] args) => CallAt(Now, name, args);

    private static RegoValue? CallAt(DateTimeOffset now, string name, params RegoValue[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var builtin), name);
        Assert.Equal(args.Length, builtin.Arity);
        return builtin.Function!(new BuiltinContext(now), args);
    }

    private static RegoString S(string s) => new(s);

    private static RegoValue J(string json) => RegoJson.Parse(json);

    private static string Sign(string headerJson, string payloadJson, string jwk) =>
        Assert.IsType<RegoString>(Call("io.jwt.encode_sign", J(headerJson), J(payloadJson), J(jwk))).Value;

    [Fact]
    public void EncodeSign_Rfc7515HmacKey_MatchesOpa()
    {
        var token = Sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{}", OctJwk);
        Assert.Equal("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8", token);
    }

    [Fact]
    public void EncodeSign_SetsBecomeArraysAndHtmlIsEscaped()
    {
        var token = Sign("{\"alg\":\"HS256\"}", "{\"b\":\"<&>\",\"a\":[2,1]}", OctJwk);
        var payload = Encoding.UTF8.GetString(Base64Url(token.Split('.')[1]));
        Assert.Equal("{\"a\":[2,1],\"b\":\"\\u003c\\u0026\\u003e\"}", payload);

        var withSet = Assert.IsType<RegoString>(Call(
            "io.jwt.encode_sign",
            J("{\"alg\":\"HS256\"}"),
            RegoObject.FromStrings([new("aud", RegoSet.From(S("saul"), S("bob")))]),
            J(OctJwk))).Value;
        Assert.Equal("{\"aud\":[\"bob\",\"saul\"]}", Encoding.UTF8.GetString(Base64Url(withSet.Split('.')[1])));
    }

    [Fact]
    public void VerifyHs256_RoundTrip()
    {
        var jwk = "{\"kty\":\"oct\",\"k\":\"" + B64Url(Encoding.UTF8.GetBytes("secret")) + "\"}";
        var token = Sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":\"x\"}", jwk);

        Assert.Equal(RegoBoolean.True, Call("io.jwt.verify_hs256", S(token), S("secret")));
        Assert.Equal(RegoBoolean.False, Call("io.jwt.verify_hs256", S(token), S("wrong")));
        Assert.Equal(RegoBoolean.False, Call("io.jwt.verify_hs512", S(token), S("secret")));
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("RS384")]
    [InlineData("RS512")]
    [InlineData("PS256")]
    [InlineData("PS384")]
    [InlineData("PS512")]
    public void VerifyRsa_PemPublicKeyCertificateAndJwks(string alg)
    {
        using var rsa = RSA.Create(2048);
        var token = Sign("{\"alg\":\"" + alg + "\"}", "{\"iss\":\"me\"}", RsaJwk(rsa.ExportParameters(true)));
        var verify = "io.jwt.verify_" + alg.ToLowerInvariant();

        Assert.Equal(RegoBoolean.True, Call(verify, S(token), S(rsa.ExportSubjectPublicKeyInfoPem())));
        Assert.Equal(RegoBoolean.True, Call(verify, S(token), S(SelfSigned(rsa).ExportCertificatePem())));
        Assert.Equal(RegoBoolean.True, Call(verify, S(token), S("{\"keys\":[" + RsaJwk(rsa.ExportParameters(false)) + "]}")));

        using var other = RSA.Create(2048);
        Assert.Equal(RegoBoolean.False, Call(verify, S(token), S(other.ExportSubjectPublicKeyInfoPem())));
    }

    [Theory]
    [InlineData("ES256", "P-256")]
    [InlineData("ES384", "P-384")]
    [InlineData("ES512", "P-521")]
    public void VerifyEcdsa_RoundTrip(string alg, string crv)
    {
        using var ec = ECDsa.Create(crv switch
        {
            "P-256" => ECCurve.NamedCurves.nistP256,
            "P-384" => ECCurve.NamedCurves.nistP384,
            _ => ECCurve.NamedCurves.nistP521,
        });
        var token = Sign("{\"alg\":\"" + alg + "\"}", "{\"iss\":\"me\"}", EcJwk(ec.ExportParameters(true), crv));
        var verify = "io.jwt.verify_" + alg.ToLowerInvariant();

        Assert.Equal(RegoBoolean.True, Call(verify, S(token), S(ec.ExportSubjectPublicKeyInfoPem())));
        Assert.Equal(RegoBoolean.True, Call(verify, S(token), S(EcJwk(ec.ExportParameters(false), crv))));

        // An RSA key cannot verify an ECDSA token.
        using var rsa = RSA.Create(2048);
        Assert.Equal(RegoBoolean.False, Call(verify, S(token), S(rsa.ExportSubjectPublicKeyInfoPem())));
    }

    [Fact]
    public void Ed25519_Rfc8032TestVector1()
    {
        var seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        var publicKey = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        var signature = Convert.FromHexString("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

        Assert.Equal(publicKey, Ed25519.PublicKeyFromSeed(seed));
        Assert.Equal(signature, Ed25519.Sign(seed, []));
        Assert.True(Ed25519.Verify(publicKey, [], signature));
        signature[5] ^= 1;
        Assert.False(Ed25519.Verify(publicKey, [], signature));
        Assert.False(Ed25519.Verify(publicKey, [1], Ed25519.Sign(seed, [])));
    }

    [Theory]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72", "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    [InlineData("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82", "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a")]
    public void Ed25519_Rfc8032TestVectors2And3(string seedHex, string publicHex, string messageHex, string signatureHex)
    {
        var seed = Convert.FromHexString(seedHex);
        var message = Convert.FromHexString(messageHex);
        var signature = Convert.FromHexString(signatureHex);

        Assert.Equal(Convert.FromHexString(publicHex), Ed25519.PublicKeyFromSeed(seed));
        Assert.Equal(signature, Ed25519.Sign(seed, message));
        Assert.True(Ed25519.Verify(Convert.FromHexString(publicHex), message, signature));
    }

    [Fact]
    public void Ed25519_RandomKeys_SignVerifyRoundTrip()
    {
        for (var i = 0; i < 20; i++)
        {
            var seed = RandomNumberGenerator.GetBytes(32);
            var message = RandomNumberGenerator.GetBytes(i * 7);
            var publicKey = Ed25519.PublicKeyFromSeed(seed);
            var signature = Ed25519.Sign(seed, message);
            Assert.True(Ed25519.Verify(publicKey, message, signature));
            signature[40] ^= 0x10;
            Assert.False(Ed25519.Verify(publicKey, message, signature));
        }
    }

    [Fact]
    public void VerifyEddsa_OkpJwkAndPemPublicKey()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var publicKey = Ed25519.PublicKeyFromSeed(seed);
        var jwk = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + B64Url(publicKey) + "\",\"d\":\"" + B64Url(seed) + "\"}";
        var token = Sign("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}", "{\"sub\":\"1\"}", jwk);

        // SubjectPublicKeyInfo for Ed25519: algorithm 1.3.101.112 and the raw 32-byte key.
        var spki = Convert.FromHexString("302a300506032b6570032100").Concat(publicKey).ToArray();
        var pem = PemEncoding.WriteString("PUBLIC KEY", spki);

        Assert.Equal(RegoBoolean.True, Call("io.jwt.verify_eddsa", S(token), S(pem)));
        Assert.Equal(RegoBoolean.True, Call("io.jwt.verify_eddsa", S(token), S(jwk)));
        var decoded = Assert.IsType<RegoArray>(Call("io.jwt.decode_verify", S(token), J("{\"cert\":" + System.Text.Json.JsonSerializer.Serialize(pem) + "}")));
        Assert.Equal(RegoBoolean.True, decoded[0]);
    }

    [Fact]
    public void Decode_ReturnsHeaderPayloadAndHexSignature()
    {
        var token = Sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":\"0\",\"iss\":\"opa\"}", OctJwk);
        var parts = Assert.IsType<RegoArray>(Call("io.jwt.decode", S(token)));

        Assert.Equal(J("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), parts[0]);
        Assert.Equal(J("{\"iss\":\"opa\",\"sub\":\"0\"}"), parts[1]);
        Assert.Equal(S(Convert.ToHexStringLower(Base64Url(token.Split('.')[2]))), parts[2]);
    }

    [Fact]
    public void Decode_NestedToken_DecodesInner()
    {
        var inner = Sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"iss\":\"inner\"}", OctJwk);
        var outer = Assert.IsType<RegoString>(Call(
            "io.jwt.encode_sign_raw",
            S("{\"alg\":\"HS256\",\"cty\":\"JWT\"}"),
            S("\"" + inner + "\""),
            S(OctJwk))).Value;

        var parts = Assert.IsType<RegoArray>(Call("io.jwt.decode", S(outer)));
        Assert.Equal(J("{\"iss\":\"inner\"}"), parts[1]);
    }

    [Theory]
    [InlineData("abc", "encoded JWT had no period separators")]
    [InlineData("a.b", "encoded JWT must have 3 sections, found 2")]
    [InlineData("eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.e30.AA", "JWT header had invalid encoding: illegal base64 data at input byte 13")]
    [InlineData("eyJhbGciOiJIUzI1NiIsImVuYyI6IngifQ.e30.AA", "JWT is a JWE object, which is not supported")]
    [InlineData("W10.e30.AA", "bad JWT header: decoded JSON type was not an Object")]
    public void Decode_Malformed_OpaErrors(string token, string message)
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("io.jwt.decode", S(token)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Decode_PayloadNotUtf8_BuiltinError()
    {
        var payload = B64Url([(byte)'{', (byte)'"', (byte)'x', (byte)'"', (byte)':', (byte)'"', 0xFF, (byte)'"', (byte)'}']);
        var e = Assert.Throws<BuiltinErrorException>(() => Call("io.jwt.decode", S("eyJhbGciOiJIUzI1NiJ9." + payload + ".AA")));
        Assert.StartsWith("invalid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeVerify_ChecksClaimsAgainstConstraints()
    {
        var jwk = "{\"kty\":\"oct\",\"k\":\"" + B64Url(Encoding.UTF8.GetBytes("secret")) + "\"}";
        var token = Sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"iss\":\"xxx\",\"aud\":[\"fred\",\"bob\"],\"nbf\":1000,\"exp\":3000}", jwk);

        Assert.Equal(RegoBoolean.True, Verified(token, "{\"secret\":\"secret\",\"time\":2000000000000,\"iss\":\"xxx\",\"aud\":\"bob\",\"alg\":\"HS256\"}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"secret\",\"time\":2000000000000,\"iss\":\"yyy\",\"aud\":\"bob\"}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"secret\",\"time\":2000000000000,\"aud\":\"alice\"}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"secret\",\"time\":2000000000000,\"alg\":\"HS512\"}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"secret\",\"time\":3000000000000,\"aud\":\"bob\"}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"secret\",\"time\":999000000000,\"aud\":\"bob\"}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"wrong\",\"time\":2000000000000,\"aud\":\"bob\"}"));

        // A token with an audience needs an aud constraint.
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"secret\",\"time\":2000000000000}"));

        var result = Assert.IsType<RegoArray>(Call("io.jwt.decode_verify", S(token), J("{\"secret\":\"secret\",\"time\":2000000000000,\"aud\":\"fred\"}")));
        Assert.Equal(J("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), result[1]);
        Assert.Equal(RegoNumber.FromLong(3000), Assert.IsType<RegoObject>(result[2])["exp"]);
    }

    [Fact]
    public void DecodeVerify_WithoutTimeConstraint_UsesQueryClock()
    {
        var jwk = "{\"kty\":\"oct\",\"k\":\"" + B64Url(Encoding.UTF8.GetBytes("k")) + "\"}";
        var exp = Now.ToUnixTimeSeconds() + 60;
        var token = Sign("{\"alg\":\"HS256\"}", "{\"exp\":" + exp + "}", jwk);

        var valid = Assert.IsType<RegoArray>(CallAt(Now, "io.jwt.decode_verify", S(token), J("{\"secret\":\"k\"}")));
        var expired = Assert.IsType<RegoArray>(CallAt(Now.AddMinutes(2), "io.jwt.decode_verify", S(token), J("{\"secret\":\"k\"}")));

        Assert.Equal(RegoBoolean.True, valid[0]);
        Assert.Equal(new RegoArray([RegoBoolean.False, RegoObject.Empty, RegoObject.Empty]), expired);
    }

    [Fact]
    public void DecodeVerify_FloatTimes_CompareAsOpaDoes()
    {
        var jwk = "{\"kty\":\"oct\",\"k\":\"" + B64Url(Encoding.UTF8.GetBytes("secret")) + "\"}";
        var token = Sign("{\"alg\":\"HS256\"}", "{\"nbf\":1589385770.1234}", jwk);

        // time/1e9 is 1589385770.1234 exactly as a shortest decimal: equal to nbf, so valid.
        Assert.Equal(RegoBoolean.True, Verified(token, "{\"secret\":\"secret\",\"time\":1589385770123400000}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"secret\",\"time\":1589385770023400000}"));
    }

    [Theory]
    [InlineData("{}", "no key constraint")]
    [InlineData("{\"secret\":\"a\",\"cert\":\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AA\\\"}\"}", "duplicate key constraints")]
    [InlineData("{\"secret\":\"a\",\"foo\":1}", "unknown token validation constraint: foo")]
    [InlineData("{\"secret\":1}", "secret constraint: must be a string")]
    [InlineData("{\"secret\":\"a\",\"time\":\"x\"}", "token time constraint: must be a number")]
    public void DecodeVerify_BadConstraints_Errors(string constraints, string message)
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("io.jwt.decode_verify", S("a.b.c"), J(constraints)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void DecodeVerify_ExpNotNumber_Error()
    {
        var jwk = "{\"kty\":\"oct\",\"k\":\"" + B64Url(Encoding.UTF8.GetBytes("s")) + "\"}";
        var token = Sign("{\"alg\":\"HS256\"}", "{\"exp\":\"soon\"}", jwk);
        var e = Assert.Throws<BuiltinErrorException>(() => Call("io.jwt.decode_verify", S(token), J("{\"secret\":\"s\"}")));
        Assert.Equal("exp value must be a number", e.Message);
    }

    [Fact]
    public void DecodeVerify_UnknownCriticalHeader_NotVerified()
    {
        var jwk = "{\"kty\":\"oct\",\"k\":\"" + B64Url(Encoding.UTF8.GetBytes("s")) + "\"}";
        var token = Assert.IsType<RegoString>(Call("io.jwt.encode_sign_raw", S("{\"alg\":\"HS256\",\"crit\":[\"junk\"],\"junk\":1}"), S("{}"), S(jwk))).Value;
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"secret\":\"s\"}"));
    }

    [Fact]
    public void DecodeVerify_JwksKid_SelectsMatchingKey()
    {
        using var signer = RSA.Create(2048);
        using var other = RSA.Create(2048);
        var token = Sign("{\"alg\":\"RS256\",\"kid\":\"b\"}", "{}", RsaJwk(signer.ExportParameters(true)));
        var jwks = "{\"keys\":[" + RsaJwk(other.ExportParameters(false), "a") + "," + RsaJwk(signer.ExportParameters(false), "b") + "]}";
        var wrongKid = "{\"keys\":[" + RsaJwk(other.ExportParameters(false), "b") + "," + RsaJwk(signer.ExportParameters(false), "a") + "]}";

        Assert.Equal(RegoBoolean.True, Verified(token, "{\"cert\":" + System.Text.Json.JsonSerializer.Serialize(jwks) + "}"));
        Assert.Equal(RegoBoolean.False, Verified(token, "{\"cert\":" + System.Text.Json.JsonSerializer.Serialize(wrongKid) + "}"));
        Assert.Equal(RegoBoolean.True, Call("io.jwt.verify_rs256", S(token), S(jwks)));
    }

    [Theory]
    [InlineData("{\"alg\":\"dummy\"}", "{}", "unknown JWS algorithm: dummy")]
    [InlineData("{}", "{}", "missing or invalid 'alg' header: jwsbb: header \"alg\" not found")]
    [InlineData("", "{}", "missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string")]
    [InlineData("{\"typ\":\"JWT\",\"alg\":\"HS256\"}", "e", "type is JWT but payload is not JSON")]
    public void EncodeSignRaw_Errors(string header, string payload, string message)
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("io.jwt.encode_sign_raw", S(header), S(payload), S(OctJwk)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void EncodeSignRaw_NonJwtTyp_AllowsAnyPayload()
    {
        var token = Assert.IsType<RegoString>(Call("io.jwt.encode_sign_raw", S("{\"typ\":\"text\",\"alg\":\"HS256\"}"), S("plain"), S(OctJwk))).Value;
        Assert.Equal("plain", Encoding.UTF8.GetString(Base64Url(token.Split('.')[1])));
    }

    [Fact]
    public void Verify_BadKeyInput_Errors()
    {
        var token = Sign("{\"alg\":\"HS256\"}", "{}", OctJwk);
        var pemWithTrailer = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\nextra";
        Assert.Equal("extra data after a PEM certificate block", Assert.Throws<BuiltinErrorException>(() => Call("io.jwt.verify_rs256", S(token), S(pemWithTrailer))).Message);
        Assert.StartsWith("failed to parse a JWK key (set)", Assert.Throws<BuiltinErrorException>(() => Call("io.jwt.verify_rs256", S(token), S("not json"))).Message, StringComparison.Ordinal);
        Assert.Equal("operand 2 must be string but got number", Assert.Throws<BuiltinTypeException>(() => Call("io.jwt.verify_rs256", S(token), RegoNumber.One)).Message);
    }

    private static RegoValue Verified(string token, string constraints) =>
        Assert.IsType<RegoArray>(Call("io.jwt.decode_verify", S(token), J(constraints)))[0];

    private static X509Certificate2 SelfSigned(RSA rsa)
    {
        var request = new CertificateRequest("CN=jwt", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static string RsaJwk(RSAParameters p, string? kid = null)
    {
        var sb = new StringBuilder("{\"kty\":\"RSA\"");
        if (kid is not null)
        {
            sb.Append(",\"kid\":\"").Append(kid).Append('"');
        }

        sb.Append(",\"n\":\"").Append(B64Url(p.Modulus!)).Append("\",\"e\":\"").Append(B64Url(p.Exponent!)).Append('"');
        if (p.D is not null)
        {
            sb.Append(",\"d\":\"").Append(B64Url(p.D)).Append("\",\"p\":\"").Append(B64Url(p.P!)).Append("\",\"q\":\"").Append(B64Url(p.Q!))
                .Append("\",\"dp\":\"").Append(B64Url(p.DP!)).Append("\",\"dq\":\"").Append(B64Url(p.DQ!)).Append("\",\"qi\":\"").Append(B64Url(p.InverseQ!)).Append('"');
        }

        return sb.Append('}').ToString();
    }

    private static string EcJwk(ECParameters p, string crv)
    {
        var d = p.D is null ? string.Empty : ",\"d\":\"" + B64Url(p.D) + "\"";
        return "{\"kty\":\"EC\",\"crv\":\"" + crv + "\",\"x\":\"" + B64Url(p.Q.X!) + "\",\"y\":\"" + B64Url(p.Q.Y!) + "\"" + d + "}";
    }

    private static string B64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}

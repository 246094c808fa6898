using System.Security.Cryptography;
using System.Text;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class CryptoBuiltinsTests
{
    private static RegoValue? Call(string name, params RegoValue[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var builtin), name);
        Assert.Equal(args.Length, builtin.Arity);
        return builtin.Function!(new BuiltinContext(DateTimeOffset.UtcNow), args);
    }

    private static RegoString S(string s) => new(s);

    [Theory]
    [InlineData("crypto.md5", "900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("crypto.sha1", "a9993e364706816aba3e25717850c26c9cd0d89d")]
    [InlineData("crypto.sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void Hash_KnownVector_Hex(string name, string expected) =>
        Assert.Equal(S(expected), Call(name, S("abc")));

    [Fact]
    public void Hash_NonString_TypeError()
    {
        var e = Assert.Throws<BuiltinTypeException>(() => Call("crypto.sha256", RegoNumber.FromLong(1)));
        Assert.Equal("operand 1 must be string but got number", e.Message);
    }

    [Theory]
    [InlineData("crypto.hmac.sha256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData("crypto.hmac.sha512", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")]
    [InlineData("crypto.hmac.md5", "750c783e6ab0b503eaa86e310a5db738")]
    [InlineData("crypto.hmac.sha1", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")]
    public void Hmac_Rfc4231And2202Vectors(string name, string expected) =>
        Assert.Equal(S(expected), Call(name, S("what do ya want for nothing?"), S("Jefe")));

    [Fact]
    public void Hmac_KeyNotString_TypeErrorOnOperand2()
    {
        var e = Assert.Throws<BuiltinTypeException>(() => Call("crypto.hmac.sha256", S("m"), RegoBoolean.True));
        Assert.Equal("operand 2 must be string but got boolean", e.Message);
    }

    [Fact]
    public void HmacEqual_ComparesExactly()
    {
        Assert.Equal(RegoBoolean.True, Call("crypto.hmac.equal", S("abc"), S("abc")));
        Assert.Equal(RegoBoolean.False, Call("crypto.hmac.equal", S("abc"), S("abd")));
        Assert.Equal(RegoBoolean.False, Call("crypto.hmac.equal", S("abc"), S("abcd")));
    }

    [Fact]
    public void ParsePrivateKeys_RsaEcAndPkcs8_AllParsed()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ec8 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var pem = rsa.ExportRSAPrivateKeyPem() + "\n" + ec.ExportECPrivateKeyPem() + "\n" + ec8.ExportPkcs8PrivateKeyPem() + "\n";

        var keys = Assert.IsType<RegoArray>(Call("crypto.parse_private_keys", S(pem)));

        Assert.Equal(3, keys.Count);
        var rsaKey = Assert.IsType<RegoObject>(keys[0]);
        var p = rsa.ExportParameters(true);
        Assert.Equal(Big(p.Modulus!), rsaKey["N"]);
        Assert.Equal(RegoNumber.FromLong(65537), rsaKey["E"]);
        Assert.Equal(2, Assert.IsType<RegoArray>(rsaKey["Primes"]).Count);
        var ecKey = Assert.IsType<RegoObject>(keys[1]);
        var ep = ec.ExportParameters(true);
        Assert.Equal(Big(ep.Q.X!), ecKey["X"]);
        Assert.Equal(Big(ep.D!), ecKey["D"]);
        Assert.Equal(Big(ec8.ExportParameters(false).Q.Y!), Assert.IsType<RegoObject>(keys[2])["Y"]);
    }

    [Fact]
    public void ParsePrivateKeys_Base64OfPem_Accepted()
    {
        using var rsa = RSA.Create(2048);
        var b64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(rsa.ExportRSAPrivateKeyPem()));
        Assert.Single(Assert.IsType<RegoArray>(Call("crypto.parse_private_keys", S(b64))).AsList());
    }

    [Fact]
    public void ParsePrivateKeys_EmptyIsNull_GarbageIsEmpty()
    {
        Assert.Equal(RegoNull.Instance, Call("crypto.parse_private_keys", S(string.Empty)));
        Assert.Equal(RegoArray.Empty, Call("crypto.parse_private_keys", S("nope")));
    }

    [Fact]
    public void ParsePrivateKeys_CorruptRsaBlock_Error()
    {
        var pem = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        Assert.Throws<BuiltinErrorException>(() => Call("crypto.parse_private_keys", S(pem)));
    }

    [Fact]
    public void ParsePrivateKeys_UnknownCurve_BuiltinError()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = ec.ExportECPrivateKey();

        // Rewrite the named-curve OID 1.2.840.10045.3.1.7 to an arc no platform knows (1.2.840.10045.3.1.42).
        var oid = Convert.FromHexString("2A8648CE3D030107");
        var at = der.AsSpan().IndexOf(oid);
        Assert.True(at > 0);
        der[at + oid.Length - 1] = 42;
        var pem = PemEncoding.WriteString("EC PRIVATE KEY", der);

        Assert.Throws<BuiltinErrorException>(() => Call("crypto.parse_private_keys", S(pem)));
    }

    [Fact]
    public void ParseRsaPrivateKey_ReturnsJwk()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(true);

        var jwk = Assert.IsType<RegoObject>(Call("crypto.x509.parse_rsa_private_key", S(rsa.ExportRSAPrivateKeyPem())));

        Assert.Equal(S("RSA"), jwk["kty"]);
        Assert.Equal(S("AQAB"), jwk["e"]);
        Assert.Equal(S(B64Url(p.Modulus!)), jwk["n"]);
        Assert.Equal(S(B64Url(p.InverseQ!)), jwk["qi"]);
    }

    [Fact]
    public void ParseRsaPrivateKey_NotBase64_IllegalBase64Error()
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("crypto.x509.parse_rsa_private_key", S("invalid")));
        Assert.Equal("illegal base64 data at input byte 4", e.Message);
    }

    [Fact]
    public void ParseRsaPrivateKey_Empty_Error()
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("crypto.x509.parse_rsa_private_key", S(string.Empty)));
        Assert.Equal("input PEM data was empty", e.Message);
    }

    [Theory]
    [InlineData("Zm9v", "foo", -1)]
    [InlineData("Zm9vYg==", "foob", -1)]
    [InlineData("Zm9v\r\nYmFy", "foobar", -1)]
    [InlineData("foobar", null, 4)]
    [InlineData("Zm9vY", null, 4)]
    [InlineData("Zm9=v", null, 4)]
    [InlineData("Zm9vYg==x", null, 8)]
    [InlineData("Zm$v", null, 2)]
    public void GoBase64_MatchesGoOffsets(string input, string? expected, int offset)
    {
        var decoded = GoBase64.TryDecodeStd(input, out var at);
        if (expected is null)
        {
            Assert.Null(decoded);
            Assert.Equal(offset, at);
        }
        else
        {
            Assert.Equal(expected, Encoding.ASCII.GetString(decoded!));
        }
    }

    [Fact]
    public void GoPem_SkipsJunkAndReturnsRest()
    {
        var text = "junk\n-----BEGIN X-----\nAQID\n-----END X-----\nrest";
        var block = GoPem.Decode(text, out var rest);
        Assert.NotNull(block);
        Assert.Equal("X", block.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, block.Bytes);
        Assert.Equal("rest", rest);
        Assert.Null(GoPem.Decode("no pem here", out var same));
        Assert.Equal("no pem here", same);
    }

    private static RegoNumber Big(byte[] bigEndian) => RegoNumber.FromInteger(new System.Numerics.BigInteger(bigEndian, isUnsigned: true, isBigEndian: true));

    private static string B64Url(byte[] b)
    {
        var i = 0;
        while (i < b.Length - 1 && b[i] == 0)
        {
            i++;
        }

        return Convert.ToBase64String(b, i, b.Length - i).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}

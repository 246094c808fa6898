using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class X509BuiltinsTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddDays(-1);

    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _intermediate;
    private readonly X509Certificate2 _leaf;

    public X509BuiltinsTests()
    {
        _root = CreateCa("CN=Test Root CA, O=Rego", _rootKey, issuer: null, issuerKey: null);
        _intermediate = CreateCa("CN=Test Intermediate CA, O=Rego", _intermediateKey, _root, _rootKey);
        _leaf = CreateLeaf(_leafKey, _intermediate, _intermediateKey, Start.AddDays(30), ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    }

    public void Dispose()
    {
        _root.Dispose();
        _intermediate.Dispose();
        _leaf.Dispose();
        _rootKey.Dispose();
        _intermediateKey.Dispose();
        _leafKey.Dispose();
    }

    private static RegoValue? Call(string name, params RegoValue[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var builtin), name);
        Assert.Equal(args.Length, builtin.Arity);
        return builtin.Function!(new BuiltinContext(DateTimeOffset.UtcNow), args);
    }

    private static RegoString S(string s) => new(s);

    private string ChainPem => _root.ExportCertificatePem() + "\n" + _intermediate.ExportCertificatePem() + "\n" + _leaf.ExportCertificatePem() + "\n";

    [Fact]
    public void ParseCertificates_Pem_GoShapedFields()
    {
        var certs = Assert.IsType<RegoArray>(Call("crypto.x509.parse_certificates", S(_leaf.ExportCertificatePem())));
        var cert = Assert.IsType<RegoObject>(Assert.Single(certs.AsList()));

        var subject = Assert.IsType<RegoObject>(cert["Subject"]);
        Assert.Equal(S("leaf.example.com"), subject["CommonName"]);
        Assert.Equal(RegoJson.Parse("[\"Rego\"]"), subject["Organization"]);
        Assert.Equal(S("Test Intermediate CA"), Assert.IsType<RegoObject>(cert["Issuer"])["CommonName"]);
        Assert.Equal(RegoJson.Parse("[\"leaf.example.com\",\"*.svc.example.com\"]"), cert["DNSNames"]);
        Assert.Equal(RegoJson.Parse("[\"spiffe://example.org/ns/default/sa/web\"]"), cert["URIStrings"]);
        Assert.Equal(RegoJson.Parse("[\"10.1.2.3\"]"), cert["IPAddresses"]);
        Assert.Equal(RegoJson.Parse("[\"ops@example.com\"]"), cert["EmailAddresses"]);
        Assert.Equal(RegoJson.Parse("[1,2]"), cert["ExtKeyUsage"]);
        Assert.Equal(RegoNumber.FromLong(3), cert["Version"]);
        Assert.Equal(RegoNumber.FromLong(3), cert["PublicKeyAlgorithm"]);
        Assert.Equal(RegoNumber.FromLong(10), cert["SignatureAlgorithm"]);
        Assert.Equal(RegoNumber.FromLong(1), cert["KeyUsage"]);
        Assert.Equal(RegoBoolean.False, cert["IsCA"]);
        Assert.Equal(RegoNumber.FromInteger(new System.Numerics.BigInteger(_leaf.SerialNumberBytes.Span, isUnsigned: false, isBigEndian: true)), cert["SerialNumber"]);
        Assert.Equal(S(Convert.ToBase64String(_leaf.RawData)), cert["Raw"]);
        Assert.Equal(S(_leaf.NotBefore.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)), cert["NotBefore"]);

        var uri = Assert.IsType<RegoObject>(Assert.IsType<RegoArray>(cert["URIs"])[0]);
        Assert.Equal(S("spiffe"), uri["Scheme"]);
        Assert.Equal(S("example.org"), uri["Host"]);
        Assert.Equal(S("/ns/default/sa/web"), uri["Path"]);

        var key = Assert.IsType<RegoObject>(cert["PublicKey"]);
        var q = _leafKey.ExportParameters(false).Q;
        Assert.Equal(RegoNumber.FromInteger(new System.Numerics.BigInteger(q.X, isUnsigned: true, isBigEndian: true)), key["X"]);
    }

    [Fact]
    public void ParseCertificates_CaFields()
    {
        var cert = Assert.IsType<RegoObject>(Assert.IsType<RegoArray>(Call("crypto.x509.parse_certificates", S(_root.ExportCertificatePem())))[0]);

        Assert.Equal(RegoBoolean.True, cert["IsCA"]);
        Assert.Equal(RegoBoolean.True, cert["BasicConstraintsValid"]);
        Assert.Equal(RegoNumber.FromLong(1), cert["MaxPathLen"]);
        Assert.Equal(RegoNumber.FromLong(32 | 64), cert["KeyUsage"]);
        Assert.Equal(RegoNull.Instance, cert["DNSNames"]);
        Assert.Equal(RegoNull.Instance, cert["URIStrings"]);
        Assert.IsType<RegoString>(cert["SubjectKeyId"]);
    }

    [Fact]
    public void ParseCertificates_Base64DerAndBase64Pem_ChainInOrder()
    {
        var der = _leaf.RawData.Concat(_intermediate.RawData).ToArray();
        var fromDer = Assert.IsType<RegoArray>(Call("crypto.x509.parse_certificates", S(Convert.ToBase64String(der))));
        var fromPem = Assert.IsType<RegoArray>(Call("crypto.x509.parse_certificates", S(Convert.ToBase64String(Encoding.ASCII.GetBytes(ChainPem)))));

        Assert.Equal(new[] { "leaf.example.com", "Test Intermediate CA" }, fromDer.AsList().Select(CommonName));
        Assert.Equal(new[] { "Test Root CA", "Test Intermediate CA", "leaf.example.com" }, fromPem.AsList().Select(CommonName));
    }

    [Fact]
    public void ParseCertificates_RsaKey_NAndE()
    {
        using var rsa = RSA.Create(2048);
        using var cert = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(Start, Start.AddDays(2));
        var parsed = Assert.IsType<RegoObject>(Assert.IsType<RegoArray>(Call("crypto.x509.parse_certificates", S(cert.ExportCertificatePem())))[0]);
        var key = Assert.IsType<RegoObject>(parsed["PublicKey"]);

        Assert.Equal(RegoNumber.FromLong(1), parsed["PublicKeyAlgorithm"]);
        Assert.Equal(RegoNumber.FromLong(4), parsed["SignatureAlgorithm"]);
        Assert.Equal(RegoNumber.FromLong(65537), key["E"]);
        Assert.Equal(RegoNumber.FromInteger(new System.Numerics.BigInteger(rsa.ExportParameters(false).Modulus, isUnsigned: true, isBigEndian: true)), key["N"]);
    }

    [Theory]
    [InlineData("foobar", "illegal base64 data at input byte 4")]
    [InlineData("YmFkc3RyaW5n", "x509: malformed certificate")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "PEM block type is 'PRIVATE KEY', expected CERTIFICATE")]
    public void ParseCertificates_Invalid_Errors(string input, string message)
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("crypto.x509.parse_certificates", S(input)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ParseAndVerify_ValidChain_LeafToRoot()
    {
        var result = Assert.IsType<RegoArray>(Call("crypto.x509.parse_and_verify_certificates", S(ChainPem)));

        Assert.Equal(RegoBoolean.True, result[0]);
        var chain = Assert.IsType<RegoArray>(result[1]);
        Assert.Equal(new[] { "leaf.example.com", "Test Intermediate CA", "Test Root CA" }, chain.AsList().Select(CommonName));
        Assert.Equal(RegoJson.Parse("[\"spiffe://example.org/ns/default/sa/web\"]"), Assert.IsType<RegoObject>(chain[0])["URIStrings"]);
    }

    [Fact]
    public void ParseAndVerify_IntermediateAsTrustAnchor_Verified()
    {
        // Go treats every certificate in the roots pool as an anchor, self-signed or not.
        var pem = _intermediate.ExportCertificatePem() + "\n" + _leaf.ExportCertificatePem();
        var result = Assert.IsType<RegoArray>(Call("crypto.x509.parse_and_verify_certificates", S(pem)));

        Assert.Equal(RegoBoolean.True, result[0]);
        Assert.Equal(new[] { "leaf.example.com", "Test Intermediate CA" }, Assert.IsType<RegoArray>(result[1]).AsList().Select(CommonName));
    }

    [Fact]
    public void ParseAndVerify_IntermediateAnchorWithForgedLeaf_NotVerified()
    {
        // Same issuer name as the real intermediate, different key: the leaf's signature does not check out.
        using var fakeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var fakeIntermediate = CreateCa("CN=Test Intermediate CA, O=Rego", fakeKey, _root, _rootKey);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var forged = CreateLeaf(leafKey, fakeIntermediate, fakeKey, Start.AddDays(30), ["1.3.6.1.5.5.7.3.1"]);
        var pem = _intermediate.ExportCertificatePem() + "\n" + forged.ExportCertificatePem();

        Assert.Equal(RegoBoolean.False, Assert.IsType<RegoArray>(Call("crypto.x509.parse_and_verify_certificates", S(pem)))[0]);
    }

    [Fact]
    public void ChainCheck_SignedBy_ChecksTheIssuersKey()
    {
        var leaf = GoCertificate.Parse(_leaf.RawData);
        var intermediate = GoCertificate.Parse(_intermediate.RawData);
        var root = GoCertificate.Parse(_root.RawData);

        Assert.True(X509ChainCheck.SignedBy(leaf, intermediate, _intermediate));
        Assert.True(X509ChainCheck.SignedBy(intermediate, root, _root));
        Assert.False(X509ChainCheck.SignedBy(leaf, root, _root));

        using var rsa = RSA.Create(2048);
        using var rsaRoot = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA384, RSASignaturePadding.Pss).CreateSelfSigned(Start, Start.AddDays(2));
        var parsed = GoCertificate.Parse(rsaRoot.RawData);
        Assert.Equal(14, parsed.SignatureAlgorithm);
        Assert.True(X509ChainCheck.SignedBy(parsed, parsed, rsaRoot));
        Assert.False(X509ChainCheck.SignedBy(leaf, parsed, rsaRoot));
    }

    [Fact]
    public void ParseAndVerify_WrongRootOrTooFew_NotVerified()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherRoot = CreateCa("CN=Other Root", otherKey, null, null);
        var wrongRoot = otherRoot.ExportCertificatePem() + "\n" + _intermediate.ExportCertificatePem() + "\n" + _leaf.ExportCertificatePem();
        var notVerified = new RegoArray([RegoBoolean.False, RegoArray.Empty]);

        Assert.Equal(notVerified, Call("crypto.x509.parse_and_verify_certificates", S(wrongRoot)));
        Assert.Equal(notVerified, Call("crypto.x509.parse_and_verify_certificates", S(_leaf.ExportCertificatePem())));
        Assert.Equal(notVerified, Call("crypto.x509.parse_and_verify_certificates", S("not base64!")));
    }

    [Fact]
    public void ParseAndVerify_ExpiredLeaf_NotVerified()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var expired = CreateLeaf(key, _intermediate, _intermediateKey, Start.AddHours(1), ["1.3.6.1.5.5.7.3.1"]);
        var pem = _root.ExportCertificatePem() + "\n" + _intermediate.ExportCertificatePem() + "\n" + expired.ExportCertificatePem();

        var result = Assert.IsType<RegoArray>(Call("crypto.x509.parse_and_verify_certificates", S(pem)));
        Assert.Equal(RegoBoolean.False, result[0]);
    }

    [Fact]
    public void ParseAndVerify_LeafWithoutServerAuth_NotVerifiedByDefault()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var clientOnly = CreateLeaf(key, _intermediate, _intermediateKey, Start.AddDays(30), ["1.3.6.1.5.5.7.3.2"]);
        var pem = _root.ExportCertificatePem() + "\n" + _intermediate.ExportCertificatePem() + "\n" + clientOnly.ExportCertificatePem();

        Assert.Equal(RegoBoolean.False, Assert.IsType<RegoArray>(Call("crypto.x509.parse_and_verify_certificates", S(pem)))[0]);
        var withClientAuth = Assert.IsType<RegoArray>(Call(
            "crypto.x509.parse_and_verify_certificates_with_options",
            S(pem),
            RegoJson.Parse("{\"KeyUsages\":[\"KeyUsageClientAuth\"]}")));
        Assert.Equal(RegoBoolean.True, withClientAuth[0]);
    }

    [Fact]
    public void ParseAndVerifyWithOptions_DnsNameTimeAndUsages()
    {
        RegoValue Valid(string options) =>
            Assert.IsType<RegoArray>(Call("crypto.x509.parse_and_verify_certificates_with_options", S(ChainPem), RegoJson.Parse(options)))[0];

        Assert.Equal(RegoBoolean.True, Valid("{\"DNSName\":\"leaf.example.com\"}"));
        Assert.Equal(RegoBoolean.True, Valid("{\"DNSName\":\"api.svc.example.com\"}"));
        Assert.Equal(RegoBoolean.False, Valid("{\"DNSName\":\"other.example.com\"}"));
        Assert.Equal(RegoBoolean.False, Valid("{\"DNSName\":\"a.b.svc.example.com\"}"));
        Assert.Equal(RegoBoolean.True, Valid("{\"KeyUsages\":[\"KeyUsageServerAuth\",\"KeyUsageCodeSigning\"]}"));
        Assert.Equal(RegoBoolean.False, Valid("{\"KeyUsages\":[\"KeyUsageCodeSigning\"]}"));
        Assert.Equal(RegoBoolean.True, Valid("{\"KeyUsages\":[\"KeyUsageAny\"]}"));

        var future = Start.AddDays(60).ToUnixTimeMilliseconds() * 1_000_000;
        Assert.Equal(RegoBoolean.False, Valid("{\"CurrentTime\":" + future + "}"));
        var inside = Start.AddDays(2).ToUnixTimeMilliseconds() * 1_000_000;
        Assert.Equal(RegoBoolean.True, Valid("{\"CurrentTime\":" + inside + "}"));
    }

    [Theory]
    [InlineData("{\"KeyUsages\":[\"KeyUsageFoo\",\"Bar\"]}", "invalid entries for 'KeyUsages' found: [KeyUsageFoo Bar]")]
    [InlineData("{\"Foo\":1}", "invalid key option")]
    [InlineData("{\"DNSName\":1}", "'DNSName' should be a string")]
    [InlineData("{\"CurrentTime\":\"now\"}", "'CurrentTime' should be a number")]
    public void ParseAndVerifyWithOptions_BadOptions_Errors(string options, string message)
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("crypto.x509.parse_and_verify_certificates_with_options", S(ChainPem), RegoJson.Parse(options)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void ParseCertificateRequest_PemAndBase64Der()
    {
        var request = new CertificateRequest("CN=csr.example.com, O=Rego", _leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("csr.example.com");
        san.AddUri(new Uri("spiffe://example.org/csr"));
        request.CertificateExtensions.Add(san.Build());
        var der = request.CreateSigningRequest();

        foreach (var input in new[] { request.CreateSigningRequestPem(), Convert.ToBase64String(der) })
        {
            var csr = Assert.IsType<RegoObject>(Call("crypto.x509.parse_certificate_request", S(input)));
            Assert.Equal(S("csr.example.com"), Assert.IsType<RegoObject>(csr["Subject"])["CommonName"]);
            Assert.Equal(RegoJson.Parse("[\"csr.example.com\"]"), csr["DNSNames"]);
            Assert.Equal("spiffe://example.org/csr", Uri(csr));
            Assert.Equal(RegoNumber.FromLong(10), csr["SignatureAlgorithm"]);
            Assert.Equal(RegoNumber.Zero, csr["Version"]);
        }

        var e = Assert.Throws<BuiltinErrorException>(() => Call("crypto.x509.parse_certificate_request", S(Convert.ToBase64String(Encoding.ASCII.GetBytes(_leaf.ExportCertificatePem())))));
        Assert.Equal("invalid PEM-encoded certificate signing request", e.Message);
    }

    [Fact]
    public void ParseKeyPair_MatchingKey_ReturnsTlsCertificate()
    {
        var pair = Assert.IsType<RegoObject>(Call("crypto.x509.parse_keypair", S(_leaf.ExportCertificatePem()), S(_leafKey.ExportPkcs8PrivateKeyPem())));

        Assert.Single(Assert.IsType<RegoArray>(pair["Certificate"]).AsList());
        Assert.Equal(S("leaf.example.com"), Assert.IsType<RegoObject>(Assert.IsType<RegoObject>(pair["Leaf"])["Subject"])["CommonName"]);
        Assert.IsType<RegoObject>(pair["PrivateKey"]);
    }

    [Fact]
    public void ParseKeyPair_MismatchedKey_Error()
    {
        var e = Assert.Throws<BuiltinErrorException>(() => Call("crypto.x509.parse_keypair", S(_leaf.ExportCertificatePem()), S(_rootKey.ExportECPrivateKeyPem())));
        Assert.Equal("tls: private key does not match public key", e.Message);

        var typeError = Assert.Throws<BuiltinTypeException>(() => Call("crypto.x509.parse_keypair", S(_leaf.ExportCertificatePem()), RegoNumber.One));
        Assert.Equal("operand 1 must be string but got number", typeError.Message);
    }

    private static string? Uri(RegoObject csr) =>
        Assert.IsType<RegoArray>(csr["URIs"]).AsList().Cast<RegoObject>().Select(u => $"{((RegoString)u["Scheme"]!).Value}://{((RegoString)u["Host"]!).Value}{((RegoString)u["Path"]!).Value}").FirstOrDefault();

    private static string CommonName(RegoValue cert) =>
        ((RegoString)((RegoObject)((RegoObject)cert)["Subject"]!)["CommonName"]!).Value;

    private static X509Certificate2 CreateCa(string subject, ECDsa key, X509Certificate2? issuer, ECDsa? issuerKey)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, issuer is null ? 1 : 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(Start, Start.AddDays(365));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var generator = X509SignatureGenerator.CreateForECDsa(issuerKey!);
        return request.Create(issuer.SubjectName, generator, Start, Start.AddDays(180), RandomNumberGenerator.GetBytes(8));
    }

    private static X509Certificate2 CreateLeaf(ECDsa key, X509Certificate2 issuer, ECDsa issuerKey, DateTimeOffset notAfter, string[] usages)
    {
        var request = new CertificateRequest("CN=leaf.example.com, O=Rego", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("leaf.example.com");
        san.AddDnsName("*.svc.example.com");
        san.AddUri(new Uri("spiffe://example.org/ns/default/sa/web"));
        san.AddIpAddress(IPAddress.Parse("10.1.2.3"));
        san.AddEmailAddress("ops@example.com");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var oids = new OidCollection();
        foreach (var usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var generator = X509SignatureGenerator.CreateForECDsa(issuerKey);
        return request.Create(issuer.SubjectName, generator, Start, notAfter, RandomNumberGenerator.GetBytes(8));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.Fuzz;

/// <summary>
/// Writes the seeds that need cryptography (run once; the output is committed under tests/fuzz/corpus/):
/// PEM identity triples, subjectAltName DER, and task grants signed with <see cref="GrantFixture"/>'s key.
/// Each file is small (afl works best under ~1 KB per seed; certificates are P-256 to stay small).
/// </summary>
internal static class Seeds
{
    public static void Write(string corpus)
    {
        WritePem(Path.Combine(corpus, "pem"));
        WriteUriSan(Path.Combine(corpus, "urisan"));
        WriteGrants(Path.Combine(corpus, "taskgrant"));
        File.WriteAllText(Path.Combine(corpus, "jwks", "fixed.json"), GrantFixture.Jwks());
    }

    private static void WritePem(string dir)
    {
        Directory.CreateDirectory(dir);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=fuzz CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(Start, Start.AddYears(30));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=sidecar", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("spiffe://example.org/sidecar"));
        leafRequest.CertificateExtensions.Add(san.Build());
        using var leaf = leafRequest.Create(ca, Start, Start.AddYears(30), [1, 2, 3]);

        var leafPem = leaf.ExportCertificatePem() + "\n";
        var caPem = ca.ExportCertificatePem() + "\n";
        var keyPem = leafKey.ExportPkcs8PrivateKeyPem() + "\n";
        var sec1Pem = leafKey.ExportECPrivateKeyPem() + "\n";

        File.WriteAllText(Path.Combine(dir, "valid-pkcs8"), leafPem + "\0" + keyPem + "\0" + caPem);
        File.WriteAllText(Path.Combine(dir, "valid-sec1-chain"), leafPem + caPem + "\0" + sec1Pem + "\0" + caPem);
        File.WriteAllText(Path.Combine(dir, "key-mismatch"), caPem + "\0" + keyPem + "\0" + caPem);
        File.WriteAllText(Path.Combine(dir, "truncated-bundle"), leafPem + "\0" + keyPem + "\0" + caPem[..(caPem.Length / 2)]);
    }

    private static void WriteUriSan(string dir)
    {
        Directory.CreateDirectory(dir);
        var one = new SubjectAlternativeNameBuilder();
        one.AddUri(new Uri("spiffe://example.org/agent/researcher"));
        File.WriteAllBytes(Path.Combine(dir, "one-uri.der"), one.Build().RawData);

        var mixed = new SubjectAlternativeNameBuilder();
        mixed.AddDnsName("sidecar.example.org");
        mixed.AddUri(new Uri("spiffe://example.org/a"));
        mixed.AddIpAddress(System.Net.IPAddress.Loopback);
        mixed.AddUri(new Uri("https://example.org/b"));
        mixed.AddEmailAddress("a@example.org");
        File.WriteAllBytes(Path.Combine(dir, "mixed.der"), mixed.Build().RawData);

        File.WriteAllBytes(Path.Combine(dir, "empty-sequence.der"), [0x30, 0x00]);
    }

    private static void WriteGrants(string dir)
    {
        Directory.CreateDirectory(dir);
        using var key = GrantFixture.CreateKey();
        var signing = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = GrantFixture.KeyId }, SecurityAlgorithms.EcdsaSha256);
        var exp = GrantFixture.Now.AddHours(1).ToUnixTimeSeconds();
        var nbf = GrantFixture.Now.AddMinutes(-1).ToUnixTimeSeconds();

        string Sign(Dictionary<string, object> claims) =>
            new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(JsonSerializer.Serialize(claims), signing);

        Dictionary<string, object> Claims() => new()
        {
            ["iss"] = GrantFixture.Issuer,
            ["sub"] = GrantFixture.Agent,
            ["exp"] = exp,
            ["nbf"] = nbf,
            ["task_id"] = "t-7f3c",
            ["purpose"] = "triage",
            ["tools"] = new[] { "github" },
        };

        File.WriteAllText(Path.Combine(dir, "valid"), Sign(Claims()));
        var jti = Claims();
        jti.Remove("task_id");
        jti["jti"] = "jti-42";
        File.WriteAllText(Path.Combine(dir, "valid-jti"), Sign(jti));
        var other = Claims();
        other["sub"] = "spiffe://agents.example.org/agent/other";
        File.WriteAllText(Path.Combine(dir, "wrong-subject"), Sign(other));
        var expired = Claims();
        expired["exp"] = GrantFixture.Now.AddHours(-1).ToUnixTimeSeconds();
        File.WriteAllText(Path.Combine(dir, "expired"), Sign(expired));
        var noExp = Claims();
        noExp.Remove("exp");
        File.WriteAllText(Path.Combine(dir, "no-exp"), Sign(noExp));

        // alg none and HS256: rejected before any key is touched.
        static string B64(string s) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(s));
        var payload = B64(JsonSerializer.Serialize(Claims()));
        File.WriteAllText(Path.Combine(dir, "alg-none"), B64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + payload + ".");
        File.WriteAllText(Path.Combine(dir, "alg-hs256"), B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + payload + ".c2ln");
        File.WriteAllText(Path.Combine(dir, "jwe-shape"), "a.b.c.d.e");
    }

    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using SidecarProxy.Identity;
using SidecarProxy.Policy;
using SidecarProxy.Policy.Opa;
using SidecarProxy.Rego;
using SidecarProxy.Rego.Values;
using SidecarProxy.Spiffe;
using SidecarProxy.TaskGrants;

namespace SidecarProxy.Fuzz;

/// <summary>
/// One fuzz target per parser that reads outside input. Each target catches exactly the exceptions that are the
/// parser's documented rejections; anything else escapes, and an escaping exception is a finding (afl records it
/// as a crash). Checks of invariants throw <see cref="FuzzInvariantException"/>, which is never caught.
/// </summary>
internal static partial class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["spiffe"] = Spiffe,
        ["pem"] = Pem,
        ["urisan"] = UriSan,
        ["taskgrant"] = TaskGrant,
        ["jwks"] = Jwks,
        ["rego"] = Rego,
        ["decision"] = Decision,
        ["opa"] = Opa,
        ["mcp"] = Mcp,
        ["sse"] = Sse,
    };

    // Strings are decoded leniently (invalid UTF-8 becomes U+FFFD), as File.ReadAllText and header values would.
    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    /// <summary>SpiffeId.FromString/TryParse/FromUri and TrustDomain: only SpiffeIdFormatException; TryParse never throws.</summary>
    private static void Spiffe(byte[] input)
    {
        var text = Text(input);
        var ok = SpiffeId.TryParse(text, out var id, out var error);
        Check(ok == (error == SpiffeIdError.None), "TryParse result and error disagree");
        try
        {
            var parsed = SpiffeId.FromString(text);
            Check(ok, "FromString accepted what TryParse rejected");
            Check(parsed == id && parsed.ToString() == text, "a parsed ID does not round-trip");
            Check(parsed.TrustDomain.IdString + parsed.Path == text, "trust domain + path is not the ID");
            Check(TrustDomain.TryParse(parsed.TrustDomain.Name, out _, out _), "the ID's trust domain does not parse alone");
        }
        catch (SpiffeIdFormatException e)
        {
            Check(!ok && e.Error == error, "FromString rejected what TryParse accepted, or with another error");
        }

        try
        {
            _ = TrustDomain.FromString(text);
        }
        catch (SpiffeIdFormatException)
        {
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            try
            {
                _ = SpiffeId.FromUri(uri);
            }
            catch (SpiffeIdFormatException)
            {
            }
        }
    }

    // Lazy, like every object of the proxy's types here: instrumented code must not run before SharpFuzz has set up
    // afl's shared memory (in Fuzzer.OutOfProcess.Run), or the first coverage write is an access violation.
    private static readonly Lazy<IdentityFiles> PemFiles = new(() => new("cert.pem", "key.pem", new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["example.org"] = "bundle.pem",
    }));

    /// <summary>
    /// PemIdentityLoader.Parse on three texts separated by NUL bytes (certificate chain, key, trust bundle): only
    /// IdentityLoadException. Every certificate it returns then goes through UriSanReader.Read (only CryptographicException).
    /// </summary>
    private static void Pem(byte[] input)
    {
        var parts = Text(input).Split('\0', 3);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["cert.pem"] = parts[0],
            ["key.pem"] = parts.Length > 1 ? parts[1] : string.Empty,
            ["bundle.pem"] = parts.Length > 2 ? parts[2] : string.Empty,
        };
        IdentityMaterial material;
        try
        {
            material = PemIdentityLoader.Parse(PemFiles.Value, texts);
        }
        catch (IdentityLoadException e)
        {
            Debug("rejected: " + e.Message);
            return;
        }

        Debug("loaded");

        try
        {
            foreach (var certificate in material.ServerChain.Concat(material.Bundles.Values.SelectMany(b => b)).Prepend(material.ServerCertificate))
            {
                try
                {
                    _ = UriSanReader.Read(certificate);
                }
                catch (CryptographicException)
                {
                }
            }
        }
        finally
        {
            material.ServerCertificate.Dispose();
        }
    }

    /// <summary>UriSanReader.Decode on the DER of a subjectAltName extension: only CryptographicException.</summary>
    private static void UriSan(byte[] input)
    {
        try
        {
            _ = UriSanReader.Decode(input);
        }
        catch (CryptographicException)
        {
        }
    }

    /// <summary>TaskGrantValidator.ValidateAsync with a fixed JWKS and clock: it reports every rejection as a result and never throws.</summary>
    private static void TaskGrant(byte[] input)
    {
        var result = GrantFixture.Validator.Value.ValidateAsync(Text(input), GrantFixture.Agent, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Check(result.Succeeded == (result.Task is not null), "a grant result is neither a task nor a failure");
        Debug(result.Code ?? "valid task " + result.Task!.Id);
    }

    /// <summary>JwksParser.TryParse: returns keys or null with a problem; never throws.</summary>
    private static void Jwks(byte[] input)
    {
        var keys = JwksParser.TryParse(Text(input), out var problem);
        Check((keys is null) == (problem is not null), "JWKS result and problem disagree");
        Check(keys is null || keys.Count > 0, "an empty key list was returned as success");
    }

    /// <summary>RegoCompiler.Compile on one module: only RegoCompileException (with at least one error).</summary>
    private static void Rego(byte[] input)
    {
        try
        {
            _ = RegoCompiler.Compile([new RegoModuleSource("fuzz.rego", Text(input))]);
        }
        catch (RegoCompileException e)
        {
            Check(e.Errors.Count > 0, "a compile error without errors");
        }
    }

    /// <summary>A JSON decision (RegoJson.Parse: JsonException rejects it) through DecisionDocument.TryParse, which never throws.</summary>
    private static void Decision(byte[] input)
    {
        RegoValue value;
        try
        {
            value = RegoJson.Parse(input);
        }
        catch (JsonException)
        {
            return;
        }

        var ok = DecisionDocument.TryParse(value, out var decision, out var error);
        Check(ok == (error.Length == 0), "decision result and error disagree");
        Check(ok || !decision.Allowed, "a rejected decision allows");
    }

    /// <summary>OpaClient.Parse on an OPA Data API response body: only OpaClientException.</summary>
    private static void Opa(byte[] input)
    {
        try
        {
            var result = OpaClient.Parse(input);
            if (result.Result is { } value)
            {
                _ = DecisionDocument.TryParse(value, out _, out _);
            }
        }
        catch (OpaClientException)
        {
        }
    }

    // FUZZ_DEBUG=1 with --replay: what each input was judged (for checking that seeds reach the paths meant).
    private static readonly bool Verbose = Environment.GetEnvironmentVariable("FUZZ_DEBUG") == "1";

    private static void Debug(string outcome)
    {
        if (Verbose)
        {
            Console.Error.WriteLine("  -> " + outcome);
        }
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(message);
        }
    }
}

/// <summary>An invariant of a parser does not hold: always a finding.</summary>
internal sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>
/// The task-grant target's fixed world: an ES256 key derived from a constant (a public, fuzz-only key that signs
/// nothing real, so seeds can carry valid grants), its JWKS, the expected issuer and a fixed clock.
/// </summary>
internal static class GrantFixture
{
    public const string Agent = "spiffe://agents.example.org/agent/researcher";
    public const string Issuer = "https://orchestrator.example";
    public const string KeyId = "fuzz-key-1";
    public static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ECDsa CreateKey()
    {
        // d = SHA-256 of a constant: valid for P-256 (below the group order with overwhelming probability; checked by ImportParameters).
        var d = SHA256.HashData(Encoding.ASCII.GetBytes("SidecarProxy fuzz-only task grant key"));
        var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
        return key;
    }

    public static string Jwks()
    {
        using var key = CreateKey();
        var p = key.ExportParameters(false);
        return JsonSerializer.Serialize(new
        {
            keys = new[]
            {
                new Dictionary<string, string>
                {
                    ["kty"] = "EC", ["crv"] = "P-256", ["use"] = "sig", ["kid"] = KeyId,
                    ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
                },
            },
        });
    }

    public static readonly Lazy<TaskGrantValidator> Validator = new(() => new(
        Options.Create(new TaskGrantOptions { Issuer = Issuer, Required = true }),
        new FixedKeys(JwksParser.TryParse(Jwks(), out _) ?? throw new InvalidOperationException("the fixed JWKS does not parse")),
        new FixedClock(Now),
        NullLogger<TaskGrantValidator>.Instance));

    private sealed class FixedKeys(IReadOnlyList<SecurityKey> keys) : ITaskGrantKeySource
    {
        public ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<SecurityKey>?>(keys);

        public ValueTask<bool> RefreshAsync(CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

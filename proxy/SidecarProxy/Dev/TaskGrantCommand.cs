using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.Dev;

/// <summary>
/// <c>SidecarProxy task-grant</c>: plays the orchestrator for demos and tests. Keeps an ES256 key (created on
/// first use), writes its public half as the JWKS the sidecar reads (<c>Sidecar:TaskGrants:JwksPath</c>) and
/// mints one task grant (the JWT an agent sends in <c>X-Task-Grant</c>). Not for production: a real orchestrator
/// keeps its key elsewhere and signs grants itself.
/// </summary>
internal static class TaskGrantCommand
{
    public const string Name = "task-grant";

    public const string Usage = """
        usage: SidecarProxy task-grant --key FILE --jwks FILE --issuer ISS --sub SPIFFE-ID --task-id ID
                                       [--ttl 01:00:00] [--tools a,b] [--claim name=value]... [--out FILE]
          --key      PEM P-256 private key of the orchestrator; created (mode 0600) when the file does not exist
          --jwks     JWKS file with the key's public half, for Sidecar:TaskGrants:JwksPath (rewritten when it differs)
          --issuer   the grant's iss (= Sidecar:TaskGrants:Issuer)
          --sub      the agent's SPIFFE ID (must equal the SPIFFE ID of its X.509-SVID)
          --task-id  the task id (claim task_id; the policy sees it as input.task.id)
          --ttl      lifetime of the grant [01:00:00]
          --tools    tool ids the task may use (claim tools, an array)
          --claim    a free string claim, repeatable
          --out      write the grant to FILE (replaced atomically) instead of printing it
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error) =>
        Run(args, output, error, TimeProvider.System);

    internal static int Run(string[] args, TextWriter output, TextWriter error, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(time);
        string? keyPath = null, jwksPath = null, issuer = null, subject = null, taskId = null, outPath = null;
        var ttl = TimeSpan.FromHours(1);
        string[]? tools = null;
        var extra = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            if (value is null)
            {
                return UsageError(error, $"task-grant: '{args[i]}' needs a value");
            }

            switch (args[i])
            {
                case "--key": keyPath = value; break;
                case "--jwks": jwksPath = value; break;
                case "--issuer": issuer = value; break;
                case "--sub": subject = value; break;
                case "--task-id": taskId = value; break;
                case "--out": outPath = value; break;
                case "--ttl":
                    if (!TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out ttl) || ttl <= TimeSpan.Zero)
                    {
                        return UsageError(error, $"task-grant: --ttl '{value}' is not a positive time span (hh:mm:ss)");
                    }

                    break;
                case "--tools":
                    tools = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--claim":
                    var eq = value.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        return UsageError(error, $"task-grant: --claim '{value}' is not name=value");
                    }

                    extra[value[..eq]] = value[(eq + 1)..];
                    break;
                default:
                    return UsageError(error, $"task-grant: unexpected argument '{args[i]}'");
            }

            i++;
        }

        if (keyPath is null || jwksPath is null || string.IsNullOrWhiteSpace(issuer) || string.IsNullOrWhiteSpace(subject)
            || string.IsNullOrWhiteSpace(taskId))
        {
            return UsageError(error, "task-grant: --key, --jwks, --issuer, --sub and --task-id are required");
        }

        ECDsa key;
        try
        {
            key = LoadOrCreateKey(keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            error.WriteLine($"task-grant: key '{keyPath}': {e.Message}");
            return 1;
        }

        using (key)
        {
            var parameters = key.ExportParameters(includePrivateParameters: false);
            var keyId = Thumbprint(parameters);
            WriteIfChanged(jwksPath, Jwks(parameters, keyId));

            var now = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
            var claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["sub"] = subject,
                ["task_id"] = taskId,
                ["jti"] = Guid.NewGuid().ToString("N"),
            };
            foreach (var (name, value) in extra)
            {
                claims[name] = value;
            }

            if (tools is not null)
            {
                claims["tools"] = tools;
            }

            var descriptor = new SecurityTokenDescriptor
            {
                Issuer = issuer,
                IssuedAt = now.UtcDateTime,
                NotBefore = now.UtcDateTime,
                Expires = (now + ttl).UtcDateTime,
                Claims = claims,
                // No cached signature provider: it would outlive this key object, which is disposed below.
                SigningCredentials = new SigningCredentials(
                    new ECDsaSecurityKey(key) { KeyId = keyId, CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false } },
                    SecurityAlgorithms.EcdsaSha256),
            };
            var grant = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
            if (outPath is null)
            {
                output.WriteLine(grant);
            }
            else
            {
                WriteAtomically(outPath, grant + "\n");
                output.WriteLine($"task-grant: task {taskId} for {subject}, expires {(now + ttl).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}, written to {outPath}");
            }
        }

        return 0;
    }

    private static ECDsa LoadOrCreateKey(string path)
    {
        var key = ECDsa.Create();
        try
        {
            if (File.Exists(path))
            {
                key.ImportFromPem(File.ReadAllText(path));
                if (key.KeySize != 256)
                {
                    throw new CryptographicException("not a P-256 key (ES256 needs the NIST P-256 curve)");
                }

                return key;
            }

            key.GenerateKey(ECCurve.NamedCurves.nistP256);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(path, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(key.ExportPkcs8PrivateKeyPem() + "\n");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    // RFC 7638 thumbprint of the public key: a stable kid, so re-running with the same key keeps the JWKS unchanged.
    private static string Thumbprint(ECParameters p)
    {
        var canonical = $$"""{"crv":"P-256","kty":"EC","x":"{{Base64UrlEncoder.Encode(p.Q.X)}}","y":"{{Base64UrlEncoder.Encode(p.Q.Y)}}"}""";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Jwks(ECParameters p, string keyId) =>
        JsonSerializer.Serialize(new
        {
            keys = new[]
            {
                new Dictionary<string, string>
                {
                    ["kty"] = "EC",
                    ["crv"] = "P-256",
                    ["x"] = Base64UrlEncoder.Encode(p.Q.X),
                    ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
                    ["kid"] = keyId,
                    ["use"] = "sig",
                    ["alg"] = "ES256",
                },
            },
        }) + "\n";

    private static void WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path) == content)
        {
            return;
        }

        WriteAtomically(path, content);
    }

    // Readers (the sidecar's JWKS watcher, the agent) never see a half-written file: write beside, then rename.
    private static void WriteAtomically(string path, string content)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, full, overwrite: true);
    }

    private static int UsageError(TextWriter error, string message)
    {
        error.WriteLine(message);
        error.WriteLine(Usage);
        return 2;
    }
}

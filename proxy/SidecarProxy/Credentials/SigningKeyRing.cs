using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace SidecarProxy.Credentials;

/// <summary>
/// The ES256 keys one issuer signs with. A generated ring makes a new key every rotation interval and keeps
/// publishing each retired key until the last token it signed has expired, so verifiers that fetched the JWKS
/// never see a valid token whose key vanished. A PEM ring has one fixed key.
/// </summary>
internal sealed class SigningKeyRing : IDisposable
{
    // Verifiers allow some clock skew; keep retired keys published that much longer.
    private static readonly TimeSpan RetiredKeyGrace = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly TimeSpan? _rotationInterval;
    private readonly Lock _gate = new();
    private readonly List<SigningKey> _retired = [];
    private volatile SigningKey _current;

    private SigningKeyRing(TimeProvider time, SigningKey first, TimeSpan? rotationInterval)
    {
        _time = time;
        _current = first;
        _rotationInterval = rotationInterval;
    }

    /// <summary>True when keys are generated in memory (and rotated); false for a PEM key.</summary>
    public bool Generated => _rotationInterval is not null;

    public static SigningKeyRing Generate(TimeProvider time, TimeSpan rotationInterval)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rotationInterval, TimeSpan.Zero);
        return new SigningKeyRing(time, NewKey(time.GetUtcNow()), rotationInterval);
    }

    public static SigningKeyRing FromPemFile(TimeProvider time, string path)
    {
        ArgumentNullException.ThrowIfNull(time);
        var ecdsa = TryLoadPem(path, out var problem)
            ?? throw new InvalidOperationException($"signing key '{path}': {problem}");
        return new SigningKeyRing(time, new SigningKey(ecdsa, time.GetUtcNow()), rotationInterval: null);
    }

    /// <summary>Loads a P-256 private key from PEM; on failure returns null and a message without key material.</summary>
    public static ECDsa? TryLoadPem(string path, out string? problem)
    {
        ECDsa? ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(File.ReadAllText(path));
            var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
            var isP256 = ecdsa.KeySize == 256
                && (parameters.Curve.Oid?.Value == "1.2.840.10045.3.1.7"
                    || parameters.Curve.Oid?.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1");
            if (!isP256)
            {
                problem = "not a P-256 key (ES256 needs the NIST P-256 curve)";
                ecdsa.Dispose();
                return null;
            }

            // A public-key-only PEM imports fine but cannot sign.
            try
            {
                _ = ecdsa.ExportParameters(includePrivateParameters: true);
            }
            catch (CryptographicException)
            {
                problem = "the PEM holds no private key";
                ecdsa.Dispose();
                return null;
            }

            problem = null;
            var result = ecdsa;
            ecdsa = null;
            return result;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            // The exception text may quote PEM content; report only what kind of failure it was.
            problem = ex is IOException or UnauthorizedAccessException ? "cannot be read" : "not a PEM EC private key";
            return null;
        }
        finally
        {
            ecdsa?.Dispose();
        }
    }

    /// <summary>The credentials to sign a token expiring at <paramref name="tokenExpiresAt"/>; rotates first when due.</summary>
    public SigningCredentials CredentialsFor(DateTimeOffset tokenExpiresAt)
    {
        var key = CurrentKey();
        key.RecordTokenExpiry(tokenExpiresAt);
        return key.Credentials;
    }

    /// <summary>Keys verifiers may still meet: the current one and every retired one with unexpired tokens.</summary>
    public IReadOnlyList<SigningKey> PublishedKeys()
    {
        var current = CurrentKey();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            // Forget keys whose tokens have all expired. Not disposed: a signer that picked the key just
            // before rotation may still be using it; the finalizer frees it.
            _retired.RemoveAll(k => k.LatestTokenExpiry + RetiredKeyGrace <= now);

            var keys = new List<SigningKey>(_retired.Count + 1) { current };
            keys.AddRange(_retired);
            return keys;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current.Dispose();
            foreach (var key in _retired)
            {
                key.Dispose();
            }

            _retired.Clear();
        }
    }

    private SigningKey CurrentKey()
    {
        var current = _current;
        if (_rotationInterval is not { } interval)
        {
            return current;
        }

        var now = _time.GetUtcNow();
        if (now < current.CreatedAt + interval)
        {
            return current;
        }

        lock (_gate)
        {
            if (now >= _current.CreatedAt + interval)
            {
                // The retired key is not disposed here: a signer may still hold its credentials.
                _retired.Add(_current);
                _current = NewKey(now);
            }

            return _current;
        }
    }

    private static SigningKey NewKey(DateTimeOffset now) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), now);
}

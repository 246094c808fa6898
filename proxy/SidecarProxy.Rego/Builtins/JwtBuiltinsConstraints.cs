using System.Globalization;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>The constraints object of io.jwt.decode_verify.</summary>
internal sealed class TokenConstraints
{
    private double _timeNanos = -1;

    public string Secret { get; private set; } = string.Empty;

    public string Alg { get; private set; } = string.Empty;

    public string Iss { get; private set; } = string.Empty;

    public string Aud { get; private set; } = string.Empty;

    public List<JwtKey>? Keys { get; private set; }

    public static TokenConstraints Parse(RegoObject constraints, DateTimeOffset now)
    {
        var result = new TokenConstraints();
        foreach (var (k, v) in constraints.Entries)
        {
            var name = k is RegoString ks ? ks.Value : k.ToString();
            switch (name)
            {
                case "cert":
                    result.Keys = Jwk.FromCertOrJwk(v is RegoString cert ? cert.Value : throw new BuiltinErrorException("cert constraint: must be a string"));
                    break;
                case "secret":
                    result.Secret = StringConstraint(name, v);
                    break;
                case "alg":
                    result.Alg = StringConstraint(name, v);
                    break;
                case "iss":
                    result.Iss = StringConstraint(name, v);
                    break;
                case "aud":
                    result.Aud = StringConstraint(name, v);
                    break;
                case "time":
                    result._timeNanos = TimeFromValue(v);
                    break;
                default:
                    throw new BuiltinErrorException($"unknown token validation constraint: {name}");
            }
        }

        if (result._timeNanos < 0)
        {
            result._timeNanos = (now - DateTimeOffset.UnixEpoch).Ticks * 100.0;
        }

        return result;
    }

    public void Validate()
    {
        var count = (Keys is null ? 0 : 1) + (Secret.Length == 0 ? 0 : 1);
        if (count > 1)
        {
            throw new BuiltinErrorException("duplicate key constraints");
        }

        if (count < 1)
        {
            throw new BuiltinErrorException("no key constraint");
        }
    }

    public bool Verify(string kid, string alg, byte[] signingInput, byte[] signature)
    {
        if (Keys is not null)
        {
            if (kid.Length > 0 && Keys.Find(k => k.Kid == kid) is { } byKid)
            {
                return Jws.Verify(byKid, alg, signingInput, signature);
            }

            return Keys.Exists(k => (k.Alg.Length == 0 || k.Alg == alg) && Jws.Verify(k, alg, signingInput, signature));
        }

        var secret = new JwtKey { Type = JwtKeyType.Symmetric, Secret = Encoding.UTF8.GetBytes(Secret) };
        return Jws.Verify(secret, alg, signingInput, signature);
    }

    public bool ValidAudience(RegoValue aud) => aud switch
    {
        RegoString s => s.Value == Aud,
        RegoArray a => a.AsList().Any(e => e is RegoString es && es.Value == Aud),
        _ => false,
    };

    /// <summary>The clock in seconds, as the shortest decimal of the float64 OPA computes, so comparisons match OPA's.</summary>
    public RegoNumber NowSeconds() => RegoNumber.Parse((_timeNanos / 1e9).ToString("R", CultureInfo.InvariantCulture));

    private static string StringConstraint(string name, RegoValue value) =>
        value is RegoString s ? s.Value : throw new BuiltinErrorException($"{name} constraint: must be a string");

    private static double TimeFromValue(RegoValue value)
    {
        if (value is not RegoNumber n)
        {
            throw new BuiltinErrorException("token time constraint: must be a number");
        }

        var d = n.Double;
        if (double.IsInfinity(d) || double.IsNaN(d))
        {
            throw new BuiltinErrorException("token time constraint: unvalid float64");
        }

        if (d < 0)
        {
            throw new BuiltinErrorException("token time constraint: must not be negative");
        }

        return d;
    }
}

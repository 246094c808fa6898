using System.Text;
using System.Text.Json;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>io.jwt.* builtins with OPA's semantics (v1/topdown/tokens.go): JWS compact tokens only.</summary>
internal static class JwtBuiltins
{
    private static readonly RegoArray Unverified = new([RegoBoolean.False, RegoObject.Empty, RegoObject.Empty]);

    public static void Register(BuiltinRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);

        registry.Add("io.jwt.decode", 1, (_, a) => Decode(a[0]));
        registry.Add("io.jwt.decode_verify", 2, DecodeVerify);
        foreach (var bits in new[] { "256", "384", "512" })
        {
            var hs = "HS" + bits;
            registry.Add("io.jwt.verify_hs" + bits, 2, (_, a) => VerifyHmac(a, hs));
            foreach (var family in new[] { "RS", "PS", "ES" })
            {
                var alg = family + bits;
                registry.Add("io.jwt.verify_" + alg.ToLowerInvariant(), 2, (_, a) => VerifyAsymmetric(a, alg));
            }
        }

        registry.Add("io.jwt.verify_eddsa", 2, (_, a) => VerifyAsymmetric(a, "EdDSA"));
        registry.Add(new BuiltinDefinition("io.jwt.encode_sign", 3, EncodeSign) { NonDeterministic = true });
        registry.Add(new BuiltinDefinition("io.jwt.encode_sign_raw", 3, EncodeSignRaw) { NonDeterministic = true });
    }

    private static RegoValue Decode(RegoValue tokenValue)
    {
        var token = JwtToken.Split(tokenValue);
        var header = token.DecodeHeader();
        byte[] payload;
        try
        {
            payload = GoBase64.DecodeUrlLenient(token.Payload);
        }
        catch (BuiltinErrorException e)
        {
            throw new BuiltinErrorException($"JWT payload had invalid encoding: {e.Message}");
        }

        if (header["cty"] is RegoString { Value: "JWT" })
        {
            // A nested token arrives quoted (as jwt.io produces it); strip the quotes and decode the inner token.
            var inner = Encoding.UTF8.GetString(payload).Trim('"', '\'');
            return Decode(new RegoString(inner));
        }

        var claims = JwtToken.ExtractObject(payload);
        byte[] signature;
        try
        {
            signature = GoBase64.DecodeUrlLenient(token.Signature);
        }
        catch (BuiltinErrorException e)
        {
            throw new BuiltinErrorException($"JWT signature had invalid encoding: {e.Message}");
        }

        return new RegoArray([header, claims, new RegoString(Convert.ToHexStringLower(signature))]);
    }

    private static RegoBoolean VerifyHmac(RegoValue[] args, string alg)
    {
        Operands.String(args, 0);
        var secret = Operands.String(args, 1);
        var token = JwtToken.Split(args[0]);
        var signature = token.DecodeSignature();
        var key = new JwtKey { Type = JwtKeyType.Symmetric, Secret = Encoding.UTF8.GetBytes(secret) };
        return RegoBoolean.From(Jws.Verify(key, alg, token.SigningInput, signature));
    }

    private static RegoBoolean VerifyAsymmetric(RegoValue[] args, string alg)
    {
        var token = JwtToken.Split(args[0]);
        var keys = Jwk.FromCertOrJwk(Operands.String(args, 1));
        var signature = token.DecodeSignature();
        var header = TokenHeader.Parse(token.DecodeHeader());
        var lenient = alg.StartsWith("ES", StringComparison.Ordinal);

        // A key whose kid matches the token's is the only one tried; otherwise every key whose alg (if any) matches.
        if (header.Kid.Length > 0 && keys.Find(k => k.Kid == header.Kid) is { } byKid)
        {
            return RegoBoolean.From(Jws.Verify(byKid, alg, token.SigningInput, signature, lenient));
        }

        foreach (var key in keys)
        {
            if (key.Alg.Length > 0 && key.Alg != header.Alg)
            {
                continue;
            }

            if (Jws.Verify(key, alg, token.SigningInput, signature, lenient))
            {
                return RegoBoolean.True;
            }
        }

        return RegoBoolean.False;
    }

    private static RegoValue DecodeVerify(BuiltinContext context, RegoValue[] args)
    {
        Operands.Object(args, 1);
        var constraints = TokenConstraints.Parse((RegoObject)args[1], context.Now);
        constraints.Validate();

        var current = args[0];
        JwtToken token;
        RegoObject header;
        byte[] payloadBytes;
        for (var depth = 0; ; depth++)
        {
            if (depth > 32)
            {
                throw new BuiltinErrorException("JWT nesting too deep");
            }

            token = JwtToken.Split(current);
            header = token.DecodeHeader();
            var parsed = TokenHeader.Parse(header);
            if (!parsed.IsValid)
            {
                return Unverified;
            }

            if (constraints.Alg.Length > 0 && constraints.Alg != parsed.Alg)
            {
                return Unverified;
            }

            var signature = token.DecodeSignature();
            if (!constraints.Verify(parsed.Kid, parsed.Alg, token.SigningInput, signature))
            {
                return Unverified;
            }

            try
            {
                payloadBytes = GoBase64.DecodeUrlLenient(token.Payload);
            }
            catch (BuiltinErrorException e)
            {
                throw new BuiltinErrorException($"JWT payload had invalid encoding: {e.Message}");
            }

            if (string.Equals(parsed.Cty, "JWT", StringComparison.OrdinalIgnoreCase))
            {
                current = new RegoString(Encoding.UTF8.GetString(payloadBytes));
                continue;
            }

            break;
        }

        var payload = JwtToken.ExtractObject(payloadBytes);

        if (constraints.Iss.Length > 0)
        {
            if (payload["iss"] is not RegoString iss || iss.Value != constraints.Iss)
            {
                return Unverified;
            }
        }

        if (payload["aud"] is { } aud)
        {
            if (!constraints.ValidAudience(aud))
            {
                return Unverified;
            }
        }
        else if (constraints.Aud.Length > 0)
        {
            return Unverified;
        }

        var now = constraints.NowSeconds();
        if (payload["exp"] is { } exp)
        {
            if (exp is not RegoNumber expNumber)
            {
                throw new BuiltinErrorException("exp value must be a number");
            }

            if (RegoValue.Compare(now, expNumber) != -1)
            {
                return Unverified;
            }
        }

        if (payload["nbf"] is { } nbf)
        {
            if (nbf is not RegoNumber nbfNumber)
            {
                throw new BuiltinErrorException("nbf value must be a number");
            }

            if (RegoValue.Compare(now, nbfNumber) == -1)
            {
                return Unverified;
            }
        }

        return new RegoArray([RegoBoolean.True, header, payload]);
    }

    private static RegoString EncodeSign(BuiltinContext context, RegoValue[] args)
    {
        var headers = GoJson.Marshal(args[0]) ?? throw new BuiltinErrorException("failed to prepare JWT headers for marshalling: object key must be string");
        var payload = GoJson.Marshal(args[1]) ?? throw new BuiltinErrorException("failed to prepare JWT payload for marshalling: object key must be string");
        var jwk = GoJson.Marshal(args[2]) ?? throw new BuiltinErrorException("failed to prepare JWT signature for marshalling: object key must be string");
        return Sign(headers, payload, jwk);
    }

    private static RegoString EncodeSignRaw(BuiltinContext context, RegoValue[] args)
    {
        var jwk = Operands.String(args, 2);
        var headers = Operands.String(args, 0);
        var payload = Operands.String(args, 1);
        return Sign(Encoding.UTF8.GetBytes(headers), Encoding.UTF8.GetBytes(payload), Encoding.UTF8.GetBytes(jwk));
    }

    private static RegoString Sign(byte[] headers, byte[] payload, byte[] jwkSource)
    {
        var keys = Jwk.ParseSet(Encoding.UTF8.GetString(jwkSource));
        if (keys.Count == 0)
        {
            throw new BuiltinErrorException("no keys found in JWK set");
        }

        var alg = HeaderString(headers, "alg", out var algError)
            ?? throw new BuiltinErrorException($"missing or invalid 'alg' header: {algError}");
        if (!Jwk.KnownAlgorithms.Contains(alg))
        {
            throw new BuiltinErrorException($"unknown JWS algorithm: {alg}");
        }

        var typ = HeaderString(headers, "typ", out _);
        if ((typ is null || typ == "JWT") && !GoJson.IsValid(payload))
        {
            throw new BuiltinErrorException("type is JWT but payload is not JSON");
        }

        var signingInput = GoBase64.EncodeRawUrl(headers) + "." + GoBase64.EncodeRawUrl(payload);
        var signature = Jws.Sign(keys[0], alg, Encoding.ASCII.GetBytes(signingInput));
        return new RegoString(signingInput + "." + GoBase64.EncodeRawUrl(signature));
    }

    /// <summary>
    /// Reads a string member of the raw JOSE header the way OPA's JWS library does: an empty or malformed object
    /// is a parse error, while text that is not an object at all simply has no such member.
    /// </summary>
    private static string? HeaderString(byte[] headers, string name, out string error)
    {
        var text = Encoding.UTF8.GetString(headers).Trim();
        if (text.Length == 0)
        {
            error = "cannot parse JSON: cannot parse empty string";
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            if (text[0] is '{' or '[' or '"')
            {
                error = $"cannot parse JSON: {e.Message}";
                return null;
            }

            error = $"jwsbb: header \"{name}\" not found";
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(name, out var member))
            {
                error = $"jwsbb: header \"{name}\" not found";
                return null;
            }

            if (member.ValueKind != JsonValueKind.String)
            {
                error = $"jwsbb: header \"{name}\" is not a string";
                return null;
            }

            error = string.Empty;
            return member.GetString();
        }
    }
}

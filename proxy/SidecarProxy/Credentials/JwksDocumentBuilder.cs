using System.Text;
using System.Text.Json;

namespace SidecarProxy.Credentials;

/// <summary>
/// Writes the RFC 7517 JWK Set of every public key the sidecar signs with. Only public members are written:
/// the document is built from the public point, never by converting a private key object.
/// </summary>
internal sealed class JwksDocumentBuilder(SigningKeyRegistry registry)
{
    public const string ContentType = "application/jwk-set+json";

    public string Build()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var ring in registry.All())
            {
                foreach (var key in ring.PublishedKeys())
                {
                    // Two providers may share one PEM key; list it once.
                    if (!seen.Add(key.KeyId))
                    {
                        continue;
                    }

                    writer.WriteStartObject();
                    writer.WriteString("kty", "EC");
                    writer.WriteString("crv", "P-256");
                    writer.WriteString("x", key.X);
                    writer.WriteString("y", key.Y);
                    writer.WriteString("kid", key.KeyId);
                    writer.WriteString("use", "sig");
                    writer.WriteString("alg", "ES256");
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

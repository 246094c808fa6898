using System.Text.Json.Serialization;

namespace SidecarProxy.Audit;

/// <summary>Source-generated serializer: no reflection on the request path, snake_case field names.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;

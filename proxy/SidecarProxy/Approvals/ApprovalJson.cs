using System.Text.Json;

namespace SidecarProxy.Approvals;

/// <summary>JSON members shared by the approvals API and the webhook's events, so both describe an approval alike.</summary>
internal static class ApprovalJson
{
    /// <summary>Writes <c>mode</c>, <c>min_approvals</c>, <c>approver_roles</c> and <c>approved_by</c>.</summary>
    public static void WriteTermsAndApprovers(Utf8JsonWriter json, ApprovalRecord record)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(record);
        json.WriteString("mode", record.Terms.Mode);
        json.WriteNumber("min_approvals", record.Terms.MinApprovals);
        WriteStrings(json, "approver_roles", record.Terms.ApproverRoles);
        WriteStrings(json, "approved_by", record.ApprovedBy);
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}

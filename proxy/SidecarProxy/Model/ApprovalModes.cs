namespace SidecarProxy.Model;

/// <summary>The values of <c>mode</c>.</summary>
internal static class ApprovalModes
{
    public const string Refuse = "refuse";
    public const string Hold = "hold";

    public static bool IsValid(string? mode) => mode is Refuse or Hold;
}

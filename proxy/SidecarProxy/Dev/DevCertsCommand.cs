using SidecarProxy.Spiffe;

namespace SidecarProxy.Dev;

/// <summary><c>SidecarProxy dev-certs --out DIR</c>: writes the dev trust domain and prints how to use it.</summary>
internal static class DevCertsCommand
{
    public const string Name = "dev-certs";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string? directory = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--out" or "-o" && i + 1 < args.Length)
            {
                directory = args[++i];
            }
            else
            {
                error.WriteLine($"dev-certs: unexpected argument '{args[i]}'");
                error.WriteLine("usage: SidecarProxy dev-certs --out DIR");
                return 2;
            }
        }

        if (directory is null)
        {
            error.WriteLine("usage: SidecarProxy dev-certs --out DIR");
            return 2;
        }

        var identity = DevIdentity.Create(directory, TimeProvider.System);
        output.WriteLine($"Dev trust domain spiffe://{DevCertificateAuthority.TrustDomain} written to {identity.Directory}:");
        output.WriteLine($"  trust bundle (CA)      {identity.CaCertificate}");
        output.WriteLine($"  sidecar certificate    {identity.SidecarCertificate}  (localhost, 127.0.0.1, {DevCertificateAuthority.SidecarId})");
        output.WriteLine($"  sidecar key            {identity.SidecarKey}");
        output.WriteLine($"  agent SVID             {identity.AgentCertificate}  ({DevCertificateAuthority.AgentId})");
        output.WriteLine($"  agent key              {identity.AgentKey}");
        output.WriteLine();
        output.WriteLine("Run the proxy with this identity:");
        output.WriteLine("  dotnet run --project proxy/SidecarProxy --"
            + $" --Sidecar:Identity:ServerCertificate={identity.SidecarCertificate}"
            + $" --Sidecar:Identity:ServerKey={identity.SidecarKey}"
            + $" --Sidecar:Identity:TrustBundles:{DevCertificateAuthority.TrustDomain}={identity.CaCertificate}");
        output.WriteLine();
        output.WriteLine("Call a tool through the proxy as the agent:");
        output.WriteLine("  " + identity.CurlExample("https://127.0.0.1:15443"));
        return 0;
    }
}

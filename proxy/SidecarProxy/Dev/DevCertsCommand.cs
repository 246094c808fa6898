using Microsoft.Extensions.Configuration;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Dev;

/// <summary><c>SidecarProxy dev-certs --out DIR</c>: writes the dev trust domain and prints how to use it.</summary>
internal static class DevCertsCommand
{
    public const string Name = "dev-certs";

    public const string Usage = """
        usage: SidecarProxy dev-certs --out DIR

        Writes a development trust domain (spiffe://sidecar.dev) to DIR: ca.pem, ca-key.pem, sidecar.pem,
        sidecar-key.pem, agent.pem, agent-key.pem (keys PKCS#8, mode 0600), replacing any there, and prints the
        command line that runs the proxy with them and a curl command that calls a tool as the agent.
        Not for production: the CA key is on disk next to the certificates.
        """;

    /// <summary>
    /// Runs the command. <paramref name="environment"/> is the environment the printed command line would run in
    /// (default: ASPNETCORE_ENVIRONMENT, DOTNET_ENVIRONMENT, then Production); when its configuration has no
    /// tool route, a warning says so, since the printed curl would only get 404 unknown_tool.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, string? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            output.WriteLine(Usage);
            return 0;
        }

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
        environment ??= Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? "Production";
        if (!HasToolRoutes(environment))
        {
            error.WriteLine();
            error.WriteLine(
                $"Warning: no tools are configured in the {environment} environment (ReverseProxy:Routes is empty), so the proxy "
                + "started by the command above refuses every request with 404 unknown_tool. Add a tool route (README, "
                + "Configuration), or run in Development (ASPNETCORE_ENVIRONMENT=Development), which has the demo tool.");
        }

        return 0;
    }

    // What the proxy would load: appsettings.json and appsettings.{environment}.json beside the binary, then the
    // environment variables (ReverseProxy__Routes__...).
    private static bool HasToolRoutes(string environment)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        return configuration.GetSection("ReverseProxy:Routes").GetChildren().Any();
    }
}

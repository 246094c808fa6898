using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarProxy.Hosting;
using SidecarProxy.TestSupport;
using YamlDotNet.RepresentationModel;

namespace SidecarProxy.FunctionalTests.Deploy;

/// <summary>
/// The compose demo's sidecar as docker-compose.yml configures it: the <c>sidecar</c> service's environment,
/// read from the compose file itself, over a content root laid out like the image's <c>/app</c> (the proxy's
/// appsettings.json and the mounted deploy/compose/sidecar/appsettings.Compose.json), built by the real
/// <see cref="SidecarApplication"/>. Tests replace only what exists inside the containers alone (file paths, and
/// for a running sidecar the listen addresses, identity and the tool's address).
/// </summary>
internal static partial class ComposeSidecar
{
    public const string Agent = "spiffe://agents.example.org/agent/researcher";
    public const string Approver = "spiffe://agents.example.org/ops/approver";
    public const string TrustDomain = "agents.example.org";

    private static string ComposeFile => Path.Combine(RepositoryPaths.Root, "docker-compose.yml");

    /// <summary>The environment of a compose service as configuration keys (<c>__</c> is <c>:</c>), with <c>${VAR:-default}</c> resolved to its default.</summary>
    public static Dictionary<string, string?> Environment(string service)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(ComposeFile))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = (YamlMappingNode)root.Children[new YamlScalarNode("services")];
        var environment = (YamlMappingNode)((YamlMappingNode)services.Children[new YamlScalarNode(service)]).Children[new YamlScalarNode("environment")];
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment.Children)
        {
            var key = ((YamlScalarNode)name).Value!.Replace("__", ":", StringComparison.Ordinal);
            settings[key] = DefaultOf().Replace(((YamlScalarNode)value).Value ?? string.Empty, m => m.Groups[1].Value);
        }

        return settings;
    }

    /// <summary>
    /// The sidecar's settings as compose gives them. SPIFFE_ENDPOINT_SOCKET, an environment variable the sidecar
    /// reads, is written as its configuration key; DOTNET_ENVIRONMENT is left out (it is the host's environment name).
    /// </summary>
    public static Dictionary<string, string?> Settings(out string environmentName)
    {
        var settings = Environment("sidecar");
        environmentName = settings["DOTNET_ENVIRONMENT"]!;
        settings.Remove("DOTNET_ENVIRONMENT");
        if (settings.Remove("SPIFFE_ENDPOINT_SOCKET", out var socket))
        {
            settings["Sidecar:Identity:WorkloadApi"] = socket;
        }

        return settings;
    }

    /// <summary>A content root like the image's /app: the proxy's appsettings.json and the mounted appsettings.Compose.json.</summary>
    public static TempDirectory ContentRoot()
    {
        var directory = new TempDirectory();
        File.Copy(Path.Combine(RepositoryPaths.Root, "proxy", "SidecarProxy", "appsettings.json"), directory.PathOf("appsettings.json"));
        File.Copy(Path.Combine(RepositoryPaths.Root, "deploy", "compose", "sidecar", "appsettings.Compose.json"), directory.PathOf("appsettings.Compose.json"));
        return directory;
    }

    /// <summary>Builds (does not start) the sidecar from <paramref name="settings"/> over <paramref name="contentRoot"/>.</summary>
    public static WebApplication Build(
        Dictionary<string, string?> settings, string environmentName, TempDirectory contentRoot, Action<IServiceCollection>? services = null) =>
        SidecarApplication.Build(
            [],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                builder.Logging.ClearProviders();
                services?.Invoke(builder.Services);
            },
            contentRoot: contentRoot.Path,
            environment: environmentName);

    /// <summary>
    /// Mints the agent's task grant the way the orchestrator service does (deploy/compose/orchestrator/orchestrator.sh,
    /// with the service's environment from docker-compose.yml); returns the grant, and the JWKS path in <paramref name="jwksPath"/>.
    /// </summary>
    public static string MintTaskGrant(TempDirectory directory, out string jwksPath)
    {
        var orchestrator = Environment("orchestrator");
        jwksPath = directory.PathOf("jwks.json");
        var grantPath = directory.PathOf("researcher.jwt");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = Dev.TaskGrantCommand.Run(
            [
                "--key", directory.PathOf("orchestrator-key.pem"), "--jwks", jwksPath,
                "--issuer", orchestrator["TASK_GRANT_ISSUER"]!, "--sub", orchestrator["AGENT_SPIFFE_ID"]!,
                "--task-id", orchestrator["TASK_ID"]!, "--ttl", "01:00:00",
                "--tools", "github", "--claim", "purpose=triage",
                "--out", grantPath,
            ],
            output,
            error);
        Assert.True(exit == 0, error.ToString());
        return File.ReadAllText(grantPath).Trim();
    }

    [GeneratedRegex(@"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}")]
    private static partial Regex DefaultOf();
}

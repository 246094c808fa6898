using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SidecarProxy.Admin.Cli;
using SidecarProxy.Configuration;
using SidecarProxy.Dev;
using SidecarProxy.Hosting;
using SidecarProxy.Model;
using SidecarProxy.Policy.Cli;

namespace SidecarProxy;

// A named class rather than top-level statements: the generated global "Program" would clash with the test
// and benchmark projects' own, which see this assembly's internals.
internal static class Program
{
    public const string Usage = """
        usage:
          SidecarProxy [--Sidecar:KEY=VALUE ...]      run the proxy
          SidecarProxy dev-certs --out DIR             write a development trust domain and print how to use it
          SidecarProxy policy test [DIR] [-v]          run the policy's test_ rules (like opa test)
          SidecarProxy policy eval [--input FILE] [--decision REF|QUERY] [DIR]
                                                       evaluate the decision, any rule or a query (like opa eval)
          SidecarProxy policy reach --principal SPIFFE_ID [--task-claims FILE] [--config FILE] [--json] [DIR]
                                                       blast radius: what an identity can reach (docs/containment.md)
          SidecarProxy task-grant --key FILE --jwks FILE --issuer ISS --sub SPIFFE_ID --task-id ID ...
                                                       an orchestrator stand-in: mint a task grant (docs/task-grants.md)
          SidecarProxy admin revoke|quarantine|lift|list ...
                                                       the admin API for playbooks (docs/containment.md)
          SidecarProxy COMMAND --help                  help for a command

        Configuration: appsettings.json, appsettings.{Environment}.json, environment variables (Sidecar__Listen=...)
        and the command line (--Sidecar:Listen=...); keys are case-insensitive. Everything is validated at start-up:
        every error is printed, one per line, and the exit code is 2. Unknown keys under Sidecar are refused.
        Tools are YARP routes and clusters under ReverseProxy (see README.md).
        """;

    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>
    /// The whole program: a CLI command, or the proxy until <paramref name="stop"/> (or a shutdown signal).
    /// Returns the exit code: 0, or 2 for any configuration or start-up error, each printed as one line on
    /// <paramref name="stderr"/> (no stack trace).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length > 0 && args[0] == DevCertsCommand.Name)
        {
            return DevCertsCommand.Run(args[1..], stdout, stderr);
        }

        if (args.Length > 0 && args[0] == TaskGrantCommand.Name)
        {
            return TaskGrantCommand.Run(args[1..], stdout, stderr);
        }

        if (args.Length > 0 && args[0] == "policy")
        {
            return PolicyCommand.Run(args[1..], stdout, stderr);
        }

        if (args.Length > 0 && args[0] == AdminCommand.Name)
        {
            return await AdminCommand.RunAsync(args[1..], stdout, stderr);
        }

        if (args.Any(a => a is "--help" or "-h" or "-?" or "help"))
        {
            await stdout.WriteLineAsync(Usage);
            await stdout.WriteLineAsync("Known configuration keys (<name>: a name of your choice):");
            foreach (var key in ConfigurationSchema.KnownKeys)
            {
                await stdout.WriteLineAsync("  " + key);
            }

            return 0;
        }

        WebApplication app;
        try
        {
            app = SidecarApplication.Build(args);
            await SidecarApplication.StartAsync(app, stop);
        }
        catch (StartupException ex)
        {
            foreach (var error in ex.Errors)
            {
                await stderr.WriteLineAsync(SidecarApplication.OneLine(error));
            }

            return 2;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception ex)
        {
            // Anything else that stops the start (a directory that cannot be created, ...): still one line.
            await stderr.WriteLineAsync("SidecarProxy cannot start: " + SidecarApplication.OneLine(ex.Message));
            return 2;
        }

        await using (app)
        {
            // Only now, with the listeners bound: the banner must not promise a proxy that failed to start.
            if (app.Services.GetService<DevIdentity>() is { } dev)
            {
                var agent = app.Services.GetRequiredService<SidecarListeners>().GetUrl(ListenerKind.Agent);
                await stdout.WriteLineAsync($"Development identity in {dev.Directory}. Try:{Environment.NewLine}  {dev.CurlExample(agent.ToString())}");
            }

            await app.WaitForShutdownAsync(stop);
        }

        return 0;
    }
}

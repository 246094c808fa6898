using SidecarProxy.Admin.Cli;
using SidecarProxy.Dev;
using SidecarProxy.Hosting;
using SidecarProxy.Policy.Cli;

namespace SidecarProxy;

// A named class rather than top-level statements: the generated global "Program" would clash with the test
// and benchmark projects' own, which see this assembly's internals.
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == DevCertsCommand.Name)
        {
            return DevCertsCommand.Run(args[1..], Console.Out, Console.Error);
        }

        if (args.Length > 0 && args[0] == "policy")
        {
            return PolicyCommand.Run(args[1..], Console.Out, Console.Error);
        }

        if (args.Length > 0 && args[0] == AdminCommand.Name)
        {
            return await AdminCommand.RunAsync(args[1..], Console.Out, Console.Error);
        }

        try
        {
            var app = SidecarApplication.Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (StartupException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }
    }
}

using SidecarProxy.Dev;
using SidecarProxy.Hosting;
using SidecarProxy.Policy.Cli;

if (args.Length > 0 && args[0] == DevCertsCommand.Name)
{
    return DevCertsCommand.Run(args[1..], Console.Out, Console.Error);
}

if (args.Length > 0 && args[0] == "policy")
{
    return PolicyCommand.Run(args[1..], Console.Out, Console.Error);
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

using BenchmarkDotNet.Running;

namespace SidecarProxy.Benchmarks;

internal static class Program
{
    // Run e.g. `dotnet run -c Release --project tests/SidecarProxy.Benchmarks -- --filter '*' --job short`.
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}

using BenchmarkDotNet.Running;

<<<<<<< HEAD
namespace SidecarProxy.Benchmarks;

internal static class Program
{
    // Run e.g. `dotnet run -c Release --project tests/SidecarProxy.Benchmarks -- --filter '*' --job short`.
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
=======
// The proxy assembly has its own Program type, so the benchmarks are found through a type of this assembly.
BenchmarkSwitcher.FromAssembly(typeof(SidecarProxy.Benchmarks.RegoBenchmarks).Assembly).Run(args);
>>>>>>> rego-b2

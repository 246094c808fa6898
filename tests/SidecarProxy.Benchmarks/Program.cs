using BenchmarkDotNet.Running;
using SidecarProxy.Benchmarks;

// Named by a type of this assembly: the proxy's own Program is visible here too (InternalsVisibleTo).
BenchmarkSwitcher.FromAssembly(typeof(BenchmarkPaths).Assembly).Run(args);

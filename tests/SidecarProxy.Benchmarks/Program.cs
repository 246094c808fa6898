using BenchmarkDotNet.Running;

// The proxy assembly has its own Program type, so the benchmarks are found through a type of this assembly.
BenchmarkSwitcher.FromAssembly(typeof(SidecarProxy.Benchmarks.RegoBenchmarks).Assembly).Run(args);

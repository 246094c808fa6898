using SharpFuzz;

namespace SidecarProxy.Fuzz;

/// <summary>
/// <c>SidecarProxy.Fuzz TARGET</c>: the afl-fuzz entry point (SharpFuzz, out of process, so a stack overflow or a
/// process-killing exception is reported as a crash instead of stopping afl).
/// <c>SidecarProxy.Fuzz --replay TARGET PATH...</c>: runs every file (or every file in every folder) once, without
/// afl; prints one line per failing input and exits 1 if any input escaped the target's documented rejections
/// (or ran longer than the hang limit).
/// <c>SidecarProxy.Fuzz --seeds CORPUS_DIR</c>: writes the generated seeds (certificates, keys, signed grants).
/// </summary>
internal static class Program
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    public static int Main(string[] args)
    {
        if (args.Length >= 1 && args[0] == "--seeds" && args.Length == 2)
        {
            Seeds.Write(args[1]);
            return 0;
        }

        if (args.Length >= 3 && args[0] == "--replay" && Targets.All.TryGetValue(args[1], out var replayed))
        {
            return Replay(args[1], replayed, args[2..]);
        }

        if (args.Length == 1 && Targets.All.TryGetValue(args[0], out var target))
        {
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                target(buffer.ToArray());
            });
            return 0;
        }

        Console.Error.WriteLine("usage: SidecarProxy.Fuzz TARGET | --replay TARGET PATH... | --seeds CORPUS_DIR");
        Console.Error.WriteLine("targets: " + string.Join(' ', Targets.All.Keys));
        return 2;
    }

    private static int Replay(string name, Action<byte[]> target, string[] paths)
    {
        var files = paths
            .SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : File.Exists(p) ? [p] : [])
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith("README.txt", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var failures = 0;
        foreach (var file in files)
        {
            var input = File.ReadAllBytes(file);
            var run = Task.Factory.StartNew(() => target(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            try
            {
                if (!run.Wait(HangLimit))
                {
                    Console.WriteLine($"HANG  {name} {file}: still running after {HangLimit.TotalSeconds:0} s");
                    return 1;
                }
            }
            catch (AggregateException e)
            {
                var inner = e.InnerException ?? e;
                failures++;
                Console.WriteLine($"CRASH {name} {file}: {inner.GetType().FullName}: {FirstLine(inner.Message)}");
                if (Environment.GetEnvironmentVariable("FUZZ_DEBUG") == "1")
                {
                    Console.WriteLine(inner.StackTrace);
                }
            }
        }

        Console.WriteLine($"replay {name}: {files.Count} input(s), {failures} crash(es)");
        return failures == 0 ? 0 : 1;
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0];
        return line.Length <= 200 ? line : line[..200] + "...";
    }
}

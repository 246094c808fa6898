using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SidecarProxy.TestSupport;

/// <summary>
/// Keeps every log event: its category and id, so a test can observe what the proxy did internally, and its whole
/// text (message, structured values, scopes and exception), for leak checks with canary secrets: a secret passed as a
/// parameter but left out of the message template still reaches log sinks.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<(string Category, int EventId)> _events = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<(string Category, int EventId)> Events => [.. _events];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            owner._lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            owner._lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {values} {exception}");
            owner._events.Enqueue((category, eventId.Id));
        }
    }
}

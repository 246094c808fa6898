using System.Threading.Channels;
using SidecarProxy.Identity;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>Collects what a source publishes through Changed, so a test can await the next one (bounded).</summary>
internal sealed class IdentityChangeRecorder : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly IIdentityMaterialSource _source;
    private readonly Channel<IdentityMaterial> _changes = Channel.CreateUnbounded<IdentityMaterial>();

    public IdentityChangeRecorder(IIdentityMaterialSource source)
    {
        _source = source;
        _source.Changed += OnChanged;
    }

    public async Task<IdentityMaterial> NextAsync()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            return await _changes.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no identity change published within " + Deadline);
        }
    }

    public bool HasPending => _changes.Reader.TryPeek(out _);

    public void Dispose() => _source.Changed -= OnChanged;

    private void OnChanged(IdentityMaterial material) => _changes.Writer.TryWrite(material);
}

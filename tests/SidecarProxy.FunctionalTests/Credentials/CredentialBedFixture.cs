namespace SidecarProxy.FunctionalTests.Credentials;

/// <summary>One <see cref="CredentialBed"/> shared by a test class; tests isolate themselves with markers and scopes.</summary>
public sealed class CredentialBedFixture : IAsyncLifetime
{
    internal CredentialBed Bed { get; private set; } = null!;

    public async Task InitializeAsync() => Bed = await CredentialBed.StartAsync();

    public async Task DisposeAsync() => await Bed.DisposeAsync();
}

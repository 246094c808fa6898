using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using SidecarProxy.Identity;
using SidecarProxy.TestSupport;

namespace SidecarProxy.Benchmarks;

/// <summary>
/// X.509-SVID validation as the TLS handshake runs it once per agent connection: a leaf issued by an intermediate,
/// the intermediate sent in the handshake, the root in the trust bundle of the leaf's own trust domain, plus a
/// second (federated) trust domain in the bundle set.
/// </summary>
[MemoryDiagnoser]
public class SvidValidationBenchmarks
{
    private TestCa _root = null!;
    private TestCa _intermediate = null!;
    private TestCa _other = null!;
    private X509Certificate2 _leaf = null!;
    private X509Certificate2Collection _handshakeIntermediates = null!;
    private Dictionary<string, X509Certificate2Collection> _bundles = null!;
    private X509SvidValidator _validator = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = TestCa.CreateRoot("agents.example.org");
        _intermediate = _root.CreateIntermediate("agents.example.org");
        _other = TestCa.CreateRoot("partner.example.com");
        _leaf = _intermediate.IssueSvid("spiffe://agents.example.org/agent/researcher");
        _handshakeIntermediates = [_intermediate.Certificate];
        _bundles = new Dictionary<string, X509Certificate2Collection>
        {
            ["agents.example.org"] = [_root.Certificate],
            ["partner.example.com"] = [_other.Certificate],
        };
        _validator = new X509SvidValidator(TimeProvider.System);
        if (!_validator.Validate(_leaf, _handshakeIntermediates, _bundles).Succeeded)
        {
            throw new InvalidOperationException("benchmark chain does not validate");
        }
    }

    [Benchmark]
    public bool ValidateChainOfThree() => _validator.Validate(_leaf, _handshakeIntermediates, _bundles).Succeeded;

    [GlobalCleanup]
    public void Cleanup()
    {
        _leaf.Dispose();
        _other.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
    }
}

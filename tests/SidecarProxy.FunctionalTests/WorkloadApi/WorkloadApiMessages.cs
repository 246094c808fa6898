using Google.Protobuf;
using SidecarProxy.Identity.WorkloadApi.Protocol;
using SidecarProxy.Spiffe;

namespace SidecarProxy.FunctionalTests.WorkloadApi;

/// <summary>Builds Workload API messages the way a SPIRE agent fills them.</summary>
internal static class WorkloadApiMessages
{
    public static X509SVIDResponse Response(
        TestSvid svid,
        TestCertificateAuthority ca,
        IReadOnlyDictionary<string, TestCertificateAuthority>? federated = null)
    {
        var response = new X509SVIDResponse();
        response.Svids.Add(new X509SVID
        {
            SpiffeId = svid.SpiffeId,
            X509Svid = ByteString.CopyFrom(svid.ChainDer()),
            X509SvidKey = ByteString.CopyFrom(svid.KeyPkcs8()),
            Bundle = ByteString.CopyFrom(ca.BundleDer()),
        });

        foreach (var (trustDomainId, foreign) in federated ?? new Dictionary<string, TestCertificateAuthority>())
        {
            response.FederatedBundles.Add(trustDomainId, ByteString.CopyFrom(foreign.BundleDer()));
        }

        return response;
    }
}

using System.Security.Cryptography.X509Certificates;
using SidecarProxy.Identity;
using SidecarProxy.Observability;

namespace SidecarProxy.Identity;

/// <summary>
/// Sets the certificate and trust bundle expiry gauges from the identity snapshot current at scrape time, so the
/// value is exact at every scrape and follows rotations without any timer of our own.
/// </summary>
internal sealed class IdentityExpiryMetrics(SidecarMetrics metrics, IIdentityMaterialSource source, TimeProvider time)
{
    private readonly Lock _gate = new();

    public void Register() => metrics.Registry.AddBeforeCollectCallback(Update);

    internal void Update()
    {
        // Scrapes may overlap; the remove-then-set of bundle series must not interleave.
        lock (_gate)
        {
            var material = source.Current;
            if (material is null)
            {
                return;
            }

            var now = time.GetUtcNow();
            metrics.ServerCertificateExpiry.Set(SecondsUntil(material.ServerCertificate.NotAfter, now));

            foreach (var labels in metrics.TrustBundleExpiry.GetAllLabelValues().ToList())
            {
                if (!material.Bundles.ContainsKey(labels[0]))
                {
                    metrics.TrustBundleExpiry.RemoveLabelled(labels);
                }
            }

            foreach (var (trustDomain, bundle) in material.Bundles)
            {
                if (FirstExpiry(bundle) is { } notAfter)
                {
                    metrics.TrustBundleExpiry.WithLabels(trustDomain).Set(SecondsUntil(notAfter, now));
                }
            }
        }
    }

    private static DateTime? FirstExpiry(X509Certificate2Collection bundle)
    {
        DateTime? first = null;
        foreach (var certificate in bundle)
        {
            var notAfter = certificate.NotAfter.ToUniversalTime();
            if (first is null || notAfter < first)
            {
                first = notAfter;
            }
        }

        return first;
    }

    private static double SecondsUntil(DateTime notAfter, DateTimeOffset now) =>
        (new DateTimeOffset(notAfter.ToUniversalTime(), TimeSpan.Zero) - now).TotalSeconds;
}

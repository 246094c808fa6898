// The floor the sidecar is measured against in bench/load.sh: Kestrel terminating mTLS (client certificate
// required and chained to one CA) in front of YARP forwarding to one destination with a static Authorization
// header. No identity parsing, policy, credential, audit or metrics: what any YARP-based mTLS proxy pays.
//
//   BareYarp --listen 127.0.0.1:PORT --cert server.pem --key server-key.pem --ca ca.pem --upstream http://127.0.0.1:PORT/
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

var options = Arguments.Parse(args);
var ca = X509Certificate2.CreateFromPem(File.ReadAllText(options.Ca));
var serverCertificate = X509Certificate2.CreateFromPemFile(options.Certificate, options.Key);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(options.Listen, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
    {
        ServerCertificate = serverCertificate,
        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
        ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, ca),
    }));
});
builder.Services.AddReverseProxy()
    .LoadFromMemory(
        [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "/tools/demo/{**rest}" } }],
        [new ClusterConfig
        {
            ClusterId = "upstream",
            Destinations = new Dictionary<string, DestinationConfig> { ["d1"] = new() { Address = options.Upstream } },
        }])
    .AddTransforms(context =>
    {
        context.AddPathRemovePrefix("/tools/demo");
        context.AddRequestHeader("Authorization", "Bearer static-benchmark-token", append: false);
    });

var app = builder.Build();
app.MapReverseProxy();
app.Run();

static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
{
    using var chain = new X509Chain();
    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
    chain.ChainPolicy.CustomTrustStore.Add(ca);
    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
    return chain.Build(certificate);
}

internal sealed record Arguments(IPEndPoint Listen, string Certificate, string Key, string Ca, string Upstream)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        string Required(string name) =>
            values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"missing {name}");

        return new Arguments(
            IPEndPoint.Parse(Required("--listen")), Required("--cert"), Required("--key"), Required("--ca"), Required("--upstream"));
    }
}

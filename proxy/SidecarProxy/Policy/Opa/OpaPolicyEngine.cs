using System.Security.Cryptography;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy.Opa;

/// <summary>
/// Decides by asking an OPA server (<c>Sidecar:Policy:Engine=opa</c>). Every fault (unreachable,
/// timeout, non-200, malformed reply) becomes a <see cref="PolicyEngineException"/>, so the request fails closed.
/// </summary>
internal sealed class OpaPolicyEngine : IPolicyEngine
{
    private readonly OpaClient _client;
    private readonly string _dataPath;
    private volatile bool _ready;

    public OpaPolicyEngine(OpaClient client, PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _dataPath = options.DecisionDataPath;

        // OPA does not tell us which bundle revision answered a Data API call without the bundle
        // plugin; name the revision after the server and rule so the audit says where decisions came from.
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(options.OpaUrl + "|" + _dataPath));
        Revision = "opa:" + Convert.ToHexStringLower(digest)[..12];
    }

    public string Name => "opa";

    public string Revision { get; }

    public bool IsReady => _ready;

    public async ValueTask<PolicyEngineResult> EvaluateAsync(RegoValue input, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _client.QueryAsync(_dataPath, input, cancellationToken);
            _ready = true;
            return new PolicyEngineResult(result.Result, result.DecisionId, Revision);
        }
        catch (OpaClientException e)
        {
            _ready = false;
            throw new PolicyEngineException(e.Message);
        }
    }

    /// <summary>Asks OPA's health endpoint; used by /readyz.</summary>
    public async Task<bool> CheckHealthAsync(HttpClient http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            using var response = await http.GetAsync(new Uri("health", UriKind.Relative), cancellationToken);
            _ready = response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            _ready = false;
        }

        return _ready;
    }
}

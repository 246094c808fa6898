using StackExchange.Redis;

namespace SidecarProxy.Revocation;

/// <summary>
/// The connection settings every fleet store (revocations, approvals) uses with Redis: never abort on a failed
/// connect (a sidecar starts while Redis is down and connects once it is back), short timeouts (a request waits on
/// Redis at most about two seconds), and a bounded reconnect backoff.
/// </summary>
internal static class FleetRedisConfiguration
{
    /// <summary>Parses a validated connection string and applies the fleet's settings; <paramref name="clientName"/> unless the string names one.</summary>
    public static ConfigurationOptions Create(string connectionString, string clientName)
    {
        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 2000;
        config.AsyncTimeout = 2000;
        config.SyncTimeout = 2000;
        config.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        config.ClientName ??= clientName;
        return config;
    }
}

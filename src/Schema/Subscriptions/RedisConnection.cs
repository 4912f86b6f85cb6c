using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// The one Redis connection of an instance, shared by the change bus and the cache. It starts even when Redis is
/// down, reconnects by itself, and fails commands at once while disconnected: a read then goes to FHIR instead of
/// waiting for a server that is not there.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    public RedisConnection(IOptions<RedisOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = ConfigurationOptions.Parse(options.Value.Configuration!);
        configuration.AbortOnConnectFail = false;
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = 2000;
        Multiplexer = ConnectionMultiplexer.Connect(configuration);
    }

    public ConnectionMultiplexer Multiplexer { get; }

    public void Dispose() => Multiplexer.Dispose();
}

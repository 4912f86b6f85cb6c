using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Scheduling.Schema.Subscriptions;

/// <summary>Bound from the <c>Redis</c> section.</summary>
public sealed class RedisOptions : IValidatableObject
{
    public const string SectionName = "Redis";

    /// <summary>StackExchange.Redis configuration, e.g. <c>localhost:6379</c>. Empty: one instance, no Redis.</summary>
    public string? Configuration { get; set; }

    public string Channel { get; set; } = "scheduling-gateway:changes";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Configuration);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IsConfigured)
        {
            ValidationResult? failure = null;
            try
            {
                ConfigurationOptions.Parse(Configuration!);
            }
            catch (ArgumentException e)
            {
                failure = new ValidationResult($"Redis:Configuration is not a Redis configuration string: {e.Message}", [nameof(Configuration)]);
            }

            if (failure is not null)
            {
                yield return failure;
            }
        }
    }
}

/// <summary>
/// Changes across instances over Redis pub/sub. Local delivery never waits for Redis: if Redis is down this
/// instance's subscribers still get its own changes, the connection comes back by itself, and the health check says
/// how it stands. Changes made while Redis was away reach other instances through their change feed.
/// </summary>
public sealed partial class RedisChangeBus : IChangeBus
{
    private readonly InProcessChangeBus _local = new();
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisChannel _channel;
    private readonly GatewayInstance _instance;
    private readonly ILogger<RedisChangeBus> _logger;

    public RedisChangeBus(RedisConnection connection, IOptions<RedisOptions> options, GatewayInstance instance, ILogger<RedisChangeBus> logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _instance = instance;
        _logger = logger;
        _channel = RedisChannel.Literal(options.Value.Channel);
        _redis = connection.Multiplexer;
        _redis.GetSubscriber().Subscribe(_channel, (_, message) => Receive(message));
    }

    public bool IsConnected => _redis.IsConnected;

    public void Publish(ResourceChange change)
    {
        _local.Publish(change);
        try
        {
            _redis.GetSubscriber().Publish(_channel, JsonSerializer.Serialize(change), CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            LogPublishFailed(_logger, change.ResourceType, change.Id, e);
        }
    }

    public IDisposable Subscribe(Action<ResourceChange> handler) => _local.Subscribe(handler);

    private void Receive(RedisValue message)
    {
        var change = JsonSerializer.Deserialize<ResourceChange>(message.ToString());
        if (change is not null && change.Origin != _instance.Id)
        {
            _local.Publish(change);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable: change of {ResourceType}/{Id} not sent to other instances")]
    private static partial void LogPublishFailed(ILogger logger, string resourceType, string id, Exception exception);
}

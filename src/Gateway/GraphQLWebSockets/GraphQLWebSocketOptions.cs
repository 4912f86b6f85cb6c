using System.ComponentModel.DataAnnotations;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>Bound from the <c>WebSockets</c> section.</summary>
public sealed class GraphQLWebSocketOptions : IValidatableObject
{
    public const string SectionName = "WebSockets";

    /// <summary>A client must send connection_init within this time, or is closed with 4408.</summary>
    [Range(1, 300)]
    public int ConnectionInitWaitTimeoutSeconds { get; set; } = 10;

    /// <summary>The server pings acknowledged clients this often; 0 turns it off.</summary>
    [Range(0, 600)]
    public int KeepAliveSeconds { get; set; } = 12;

    /// <summary>Messages queued for one client before it counts as not reading and is closed.</summary>
    [Range(1, 1_000_000)]
    public int SendQueueLength { get; set; } = 1000;

    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Operations (queries, mutations, subscriptions) one socket may have running at once; more get a TOO_MANY_OPERATIONS error.</summary>
    [Range(1, 10_000)]
    public int MaxOperationsPerSocket { get; set; } = 100;

    /// <summary>Active subscriptions on one socket (they count as operations too); more get a TOO_MANY_SUBSCRIPTIONS error.</summary>
    [Range(1, 10_000)]
    public int MaxSubscriptionsPerSocket { get; set; } = 50;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxSubscriptionsPerSocket > MaxOperationsPerSocket)
        {
            yield return new ValidationResult(
                $"WebSockets:MaxSubscriptionsPerSocket ({MaxSubscriptionsPerSocket}) cannot exceed WebSockets:MaxOperationsPerSocket ({MaxOperationsPerSocket}): subscriptions are operations.",
                [nameof(MaxSubscriptionsPerSocket)]);
        }
    }
}

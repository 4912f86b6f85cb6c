using System.ComponentModel.DataAnnotations;

namespace Scheduling.Gateway.Execution;

/// <summary>Bound from the <c>Subscriptions</c> section.</summary>
public sealed class SubscriptionOptions
{
    public const string SectionName = "Subscriptions";

    /// <summary>
    /// Subscriptions one caller (a token's subject; without a token, a client address) may have open at once across
    /// all its connections, WebSocket and SSE together; more are refused with TOO_MANY_SUBSCRIPTIONS. The per-socket
    /// caps (<c>WebSockets:MaxSubscriptionsPerSocket</c>) still hold within each socket.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxPerCaller { get; set; } = 100;

    /// <summary>
    /// Subscriptions this instance holds at once, all callers and transports together (each idle one costs memory
    /// and a socket; past this, an instance is full rather than slow for everyone). One more is refused with
    /// SUBSCRIPTIONS_AT_CAPACITY (503: another instance, or later, may take it).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxPerInstance { get; set; } = 20_000;

    /// <summary>
    /// Subscribers with the same document, variables and access share one execution per event on this instance,
    /// its result serialized once for all of them. Off: one execution per subscriber (for comparison).
    /// </summary>
    public bool ShareExecutions { get; set; } = true;
}

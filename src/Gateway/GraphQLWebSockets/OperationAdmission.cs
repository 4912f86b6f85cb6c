namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>
/// The per-socket caps (<see cref="GraphQLWebSocketOptions.MaxOperationsPerSocket"/>,
/// <see cref="GraphQLWebSocketOptions.MaxSubscriptionsPerSocket"/>): whether one more operation may start on a socket.
/// A refusal is the protocol's <c>error</c> for that operation id; the socket and its other operations carry on.
/// </summary>
internal static class OperationAdmission
{
    public const string TooManyOperations = "TOO_MANY_OPERATIONS";

    public const string TooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS";

    /// <summary>The refusal (code and message) for one more operation on a socket already running these, or null when it may start.</summary>
    public static (string Code, string Message)? Refusal(int operations, int subscriptions, bool isSubscription, GraphQLWebSocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (operations >= options.MaxOperationsPerSocket)
        {
            return (TooManyOperations, $"This connection already runs {operations} operations, the most one connection may; wait for one to finish or complete one.");
        }

        if (isSubscription && subscriptions >= options.MaxSubscriptionsPerSocket)
        {
            return (TooManySubscriptions, $"This connection already has {subscriptions} subscriptions, the most one connection may; complete one first.");
        }

        return null;
    }
}

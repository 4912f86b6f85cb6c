namespace Scheduling.Schema.Subscriptions;

/// <summary>One event as a subscription's stream carries it: the value its fields resolve from, and the hub's event.</summary>
public interface IChangeEvent
{
    object? Value { get; }

    /// <summary>The same instance for every subscriber this change reaches on this instance.</summary>
    ResourceEvent Change { get; }
}

/// <inheritdoc cref="IChangeEvent"/>
public sealed record ChangeEvent<T>(T Value, ResourceEvent Change) : IChangeEvent
{
    object? IChangeEvent.Value => Value;
}

namespace Scheduling.Testing;

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test jump past a hold's expiry without waiting.
/// Timers still tick in real time.</summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

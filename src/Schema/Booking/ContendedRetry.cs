using Scheduling.Schema.Common;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Another change got there first: an If-Match on a slot, a span guard or the appointment was lost, or a resource
/// read was deleted meanwhile. The attempt wrote nothing that stays (its change was undone or never applied).
/// </summary>
public sealed class ContendedException(Exception inner) : Exception("Another change took the time first.", inner);

/// <summary>
/// The one retry of a change that lost a race, for every change that reads, checks and writes (book, hold,
/// reschedule, respond, confirm, block, unblock, createSlots): a <see cref="ContendedException"/> reads everything
/// again and decides afresh, since the change that won may not be in this one's way at all (two changes in one span
/// guard's hour that do not overlap). After <see cref="MaxAttempts"/> attempts or <see cref="Budget"/>, always a
/// <see cref="ConflictError"/>, never a <see cref="SlotUnavailableError"/>: the last attempt lost a race, it did not
/// see the time taken (an attempt that sees it taken says so itself), so the honest answer is "try again". Callers
/// choose only the wording. Before, booking and rescheduling answered SLOT_UNAVAILABLE here, and under load every
/// racer for a slot could be told so while the slot stayed free.
/// </summary>
public sealed class ContendedRetry(TimeProvider time)
{
    /// <summary>How often a change that lost a race reads again and retries.</summary>
    public const int MaxAttempts = 30;

    /// <summary>How long it keeps retrying lost races before it gives up: within the default 30 s operation deadline, long enough for a busy hour on a loaded server.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    /// <summary>What a change that kept losing races is told, unless its caller words it.</summary>
    public const string LostMessage = "Other changes to the same time kept winning the race; nothing was changed. The time may still be free: read it again and retry.";

    /// <summary>Runs <paramref name="attempt"/> until it is not overtaken; past the limits, a <see cref="ConflictError"/> with <paramref name="lostMessage"/>.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> attempt, string lostMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentException.ThrowIfNullOrWhiteSpace(lostMessage);
        var started = time.GetTimestamp();
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt();
            }
            catch (ContendedException) when (tries < MaxAttempts && time.GetElapsedTime(started) < Budget)
            {
                await Task.Delay(Backoff(tries), time, cancellationToken);
            }
            catch (ContendedException)
            {
                throw new SchedulingException(new ConflictError(lostMessage));
            }
        }
    }

    /// <summary>A random wait that grows with the attempts, so that racing changes spread out.</summary>
    public static TimeSpan Backoff(int tries) => TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + (10 * tries)));
}

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
/// guard's hour that do not overlap). After <see cref="MaxAttempts"/> attempts or <see cref="Budget"/>, the typed
/// error the caller names.
/// </summary>
public sealed class ContendedRetry(TimeProvider time)
{
    /// <summary>How often a change that lost a race reads again and retries.</summary>
    public const int MaxAttempts = 30;

    /// <summary>How long it keeps retrying lost races before it gives up.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="attempt"/> until it is not overtaken; past the limits, <paramref name="lost"/> as a <see cref="SchedulingException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> attempt, Func<SchedulingError> lost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(lost);
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
                throw new SchedulingException(lost());
            }
        }
    }

    /// <summary>A random wait that grows with the attempts, so that racing changes spread out.</summary>
    public static TimeSpan Backoff(int tries) => TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + (10 * tries)));
}

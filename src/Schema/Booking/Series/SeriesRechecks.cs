using Hl7.Fhir.Model;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Booking.Series;

/// <summary>
/// What a series' attempts carry over to the next after a lost race (<see cref="ContendedRetry"/>): each occurrence's
/// check, with the spans it was judged with (<see cref="BookingRuleContext.AlsoOpening"/>). A retry re-checks only the
/// occurrences the conflict can concern: those whose guards (<see cref="SpanGuards"/>: every actor's hours, the
/// patient's open bookings, the caps' days and weeks) another change claimed meanwhile, read in one search. An
/// occurrence whose guards stand at the versions its check read is as it was checked: every change that could alter
/// its check claims one of them, and the series' own change claims them at those versions (If-Match), so a change
/// that slipped in anyway makes the series lose again. An attempt that reused checks and still lost re-checks every
/// occurrence in the next (a slot changed by a path that claims no guard cannot keep a series losing).
/// </summary>
internal sealed class SeriesRechecks
{
    private Dictionary<int, (CheckedTake Take, IReadOnlyList<TimeRange> JudgedWith)> _checked = [];
    private readonly HashSet<int> _reused = [];
    private bool _reusedAndLost;

    /// <summary>How many occurrence checks all attempts ran (for the tests and the bench: a retry's cost).</summary>
    public int Checks { get; private set; }

    /// <summary>
    /// Before an attempt: the places whose check may be reused. None, for now: guards standing do not prove a check
    /// unchanged, because the practitioner caps count the practitioner's bookings on every schedule while the caps'
    /// day/week guards are claimed only by bookings on schedules with caps (and keyed by that schedule's zone); a
    /// booking elsewhere changed the count without touching a guard, and a reused check booked a series past the
    /// day cap (review). Reuse returns when every booking of a practitioner claims their day/week guards.
    /// </summary>
    public Task<IReadOnlySet<int>> ReusableAsync(CancellationToken cancellationToken)
    {
        _reused.Clear();
        _checked = [];
        _reusedAndLost = false;
        return Task.FromResult<IReadOnlySet<int>>(new HashSet<int>());
    }

    /// <summary>An occurrence's check, reused when its guards stood and it was judged with the same spans, else run.</summary>
    public async Task<CheckedTake> CheckAsync(int place, IReadOnlySet<int> reusable, IReadOnlyList<TimeRange> alsoOpening, Func<Task<CheckedTake>> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (reusable.Contains(place) && _checked.TryGetValue(place, out var kept) && kept.JudgedWith.SequenceEqual(alsoOpening))
        {
            _reused.Add(place);
            return kept.Take;
        }

        _checked.Remove(place);
        Checks++;
        var take = await check();
        _checked[place] = (take, alsoOpening);
        return take;
    }

    /// <summary>A place refused in this attempt (AVAILABLE_ONLY): nothing of it is carried.</summary>
    public void Refused(int place) => _checked.Remove(place);

    /// <summary>Before the attempt's writes: whether it reused any check (if it then loses, the next attempt re-checks all).</summary>
    public void Writing() => _reusedAndLost = _reused.Count > 0;
}

using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Every reason a candidate time is not offered (availability offers exactly the candidates with none; explainAvailability
/// lists them). Each is decided by the predicate booking refuses with (<see cref="UnofferedReasons.BookingRefusal"/>).
/// </summary>
[Flags]
public enum Unoffered
{
    None = 0,

    /// <summary>No available window of the schedule's rule holds it; over free slots, no run of contiguous slots covers it.</summary>
    OutsideHours = 1 << 0,

    /// <summary>Only the rule's buffers before or after it overlap busy time.</summary>
    Buffer = 1 << 1,

    /// <summary>Blocked: the rule's not-available time, or a BUSY_UNAVAILABLE slot.</summary>
    Blocked = 1 << 2,

    /// <summary>A standing hold (or a BUSY_TENTATIVE slot) takes it.</summary>
    Held = 1 << 3,

    /// <summary>An appointment of an actor of the schedule (on any schedule), or a BUSY slot, takes it.</summary>
    Booked = 1 << 4,

    /// <summary>A slot with seats over it has none left.</summary>
    CapacityFull = 1 << 5,

    /// <summary>Not wholly inside the schedule's planning horizon.</summary>
    OutsideHorizon = 1 << 6,

    /// <summary>Further ahead than <see cref="BookingOptions.MaximumDaysAhead"/>.</summary>
    TooFarAhead = 1 << 7,

    /// <summary>Sooner than <see cref="BookingOptions.MinimumLeadTimeMinutes"/>.</summary>
    LeadTime = 1 << 8,

    /// <summary>A practitioner of the schedule has the day's cap of bookings already.</summary>
    DayCap = 1 << 9,

    /// <summary>A practitioner of the schedule has the week's cap of bookings already.</summary>
    WeekCap = 1 << 10,

    /// <summary>The schedule is not active.</summary>
    InactiveSchedule = 1 << 11,
}

/// <summary>
/// The reasons' predicates, each the one booking refuses with (no second check), and the map from a reason to the
/// refusal bookAppointment gives for it.
/// </summary>
public static class UnofferedReasons
{
    /// <summary>Every reason, in the order they are listed.</summary>
    public static readonly IReadOnlyList<Unoffered> All = [.. Enum.GetValues<Unoffered>().Where(r => r != Unoffered.None)];

    /// <summary>
    /// What bookAppointment answers for a time with this reason: the error type and, where it has one, its rule (one
    /// reason, one refusal).
    /// </summary>
    public static readonly IReadOnlyDictionary<Unoffered, (string Error, string? Rule)> BookingRefusal = new Dictionary<Unoffered, (string, string?)>
    {
        [Unoffered.OutsideHours] = (nameof(SlotUnavailableError), null), // "not offered by the schedule's availability" (RuleSlots.NotOffered)
        [Unoffered.Buffer] = (nameof(BookingRuleError), BookingChecks.BufferRule),
        [Unoffered.Blocked] = (nameof(SlotUnavailableError), null),
        [Unoffered.Held] = (nameof(SlotUnavailableError), null),
        [Unoffered.Booked] = (nameof(SlotUnavailableError), null),
        [Unoffered.CapacityFull] = (nameof(SlotUnavailableError), null), // "No seat is left on the slot."
        [Unoffered.OutsideHorizon] = (nameof(ValidationError), BookingChecks.PlanningHorizonRule),
        [Unoffered.TooFarAhead] = (nameof(BookingRuleError), MaximumDaysAheadRule.RuleName),
        [Unoffered.LeadTime] = (nameof(BookingRuleError), MinimumLeadTimeRule.RuleName),
        [Unoffered.DayCap] = (nameof(BookingRuleError), BookingCaps.DayCapRule),
        [Unoffered.WeekCap] = (nameof(BookingRuleError), BookingCaps.WeekCapRule),
        [Unoffered.InactiveSchedule] = (nameof(ValidationError), BookingChecks.ActiveScheduleRule),
    };

    /// <summary>Each reason set, one by one.</summary>
    public static IEnumerable<Unoffered> Each(Unoffered reasons) => All.Where(r => (reasons & r) != 0);

    /// <summary>What a standing busy slot says of the time it takes (<see cref="StandingTime.Stands(Slot, IReadOnlySet{string})"/> decides whether it stands).</summary>
    public static Unoffered OfSlotStatus(Slot slot) => slot?.Status switch
    {
        SlotStatus.BusyUnavailable => Unoffered.Blocked,
        SlotStatus.BusyTentative => Unoffered.Held,
        SlotStatus.Busy => SlotSeats.IsShared(slot) ? Unoffered.CapacityFull : Unoffered.Booked,
        _ => Unoffered.None,
    };

    /// <summary>What a standing appointment says of the time it takes: held while a hold, else booked.</summary>
    public static Unoffered OfAppointment(Appointment appointment) => GatewayProfile.IsHold(appointment) ? Unoffered.Held : Unoffered.Booked;

    /// <summary>
    /// The reasons of the booking rules and of invariant 4 that depend only on the schedule and the span, with the
    /// predicates booking refuses by: active (<see cref="BookingChecks.IsActive"/>), inside the horizon
    /// (<see cref="BookingChecks.InsideHorizon"/>), lead time and days ahead (<see cref="MinimumLeadTimeRule.Breaks"/>,
    /// <see cref="MaximumDaysAheadRule.Breaks"/>), and the practitioner caps (<paramref name="caps"/>, from
    /// <see cref="BookingCaps.PractitionerCapsBroken"/>).
    /// </summary>
    public static Unoffered OfSchedule(Schedule schedule, TimeRange span, BookingOptions options, DateTimeOffset now, Func<DateTimeOffset, Unoffered> caps)
    {
        ArgumentNullException.ThrowIfNull(caps);
        return (BookingChecks.IsActive(schedule) ? Unoffered.None : Unoffered.InactiveSchedule)
            | (BookingChecks.InsideHorizon(schedule, span) ? Unoffered.None : Unoffered.OutsideHorizon)
            | (MinimumLeadTimeRule.Breaks(options, span.Start, now) ? Unoffered.LeadTime : Unoffered.None)
            | (MaximumDaysAheadRule.Breaks(options, span.Start, now) ? Unoffered.TooFarAhead : Unoffered.None)
            | caps(span.Start);
    }

    /// <summary>The reasons of the practitioner caps a booking starting then would break (<see cref="BookingCaps.PractitionerCapsBroken"/>).</summary>
    public static Unoffered OfCaps(IEnumerable<BookingRuleError> broken) =>
        (broken ?? []).Aggregate(Unoffered.None, (reasons, error) => reasons | error.Rule switch
        {
            BookingCaps.DayCapRule => Unoffered.DayCap,
            BookingCaps.WeekCapRule => Unoffered.WeekCap,
            _ => Unoffered.None,
        });

}

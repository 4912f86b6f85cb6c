using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>The Slot searches of the booking core, by name instead of parameter strings at call sites.</summary>
public static class SlotSearches
{
    /// <summary>
    /// How far before a span a slot overlapping it may start. FHIR R4 Slot has no <c>end</c> search parameter, so an
    /// overlap search looks back this far; blocks (the only long slots) are limited to it.
    /// </summary>
    public static readonly TimeSpan MaxSlotLength = TimeSpan.FromDays(31);

    /// <summary>Slots of these schedules that may overlap [from, to) (callers keep those that do: <see cref="TimeRange.Overlaps"/>).</summary>
    public static FhirQuery Overlapping(IEnumerable<string> scheduleIds, DateTimeOffset from, DateTimeOffset to, TimeSpan? lookBack = null) =>
        FhirQuery.For<Slot>()
            .WhereAny("schedule", scheduleIds.Select(id => "Schedule/" + id))
            .WhereDate("start", "ge", from - (lookBack ?? MaxSlotLength))
            .WhereDate("start", "lt", to);

    public static FhirQuery ByIds(IEnumerable<string> ids) => FhirQuery.For<Slot>().WhereAny("_id", ids);

    /// <summary>The Slot made for one availability option of a rule (its identifier).</summary>
    public static FhirQuery ForRuleOption(string ruleSlotId) =>
        FhirQuery.For<Slot>().WhereToken("identifier", GatewayProfile.RuleSlotSystem, ruleSlotId);

    /// <summary>The parameter by which a schedule's slots are batched (<c>Slot?schedule=Schedule/1,Schedule/2</c>).</summary>
    public const string ScheduleParameter = "schedule";

    /// <summary>
    /// The slots list's filter, each condition when given: on any of these schedules, with any of these statuses,
    /// starting within <paramref name="start"/>, of a service type a caller wrote as <c>code</c> or <c>system|code</c>.
    /// </summary>
    public static FhirQuery Filtered(IReadOnlyCollection<string>? scheduleIds, IReadOnlyCollection<Slot.SlotStatus>? statuses, DateTimeFilter? start, string? serviceType)
    {
        var query = FhirQuery.For<Slot>();
        if (scheduleIds is { Count: > 0 })
        {
            query.WhereAny(ScheduleParameter, scheduleIds.Select(id => "Schedule/" + id));
        }

        if (statuses is { Count: > 0 })
        {
            query.WhereAny("status", statuses.Select(s => s.GetLiteral()));
        }

        start?.ApplyTo(query, "start");
        if (serviceType is not null)
        {
            query.WhereTokenText("service-type", serviceType);
        }

        return query;
    }
}

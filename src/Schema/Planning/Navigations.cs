using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Planning;

/// <summary>
/// How a GraphQL field steps from one FHIR resource to others through a reference search parameter. Forward
/// (<see cref="Reverse"/> false): <see cref="Source"/> resources hold <see cref="Parameter"/> pointing at
/// <see cref="Target"/> (<c>Appointment.patient</c>, an <c>_include</c>). Reverse: the field of a
/// <see cref="Target"/> lists the <see cref="Source"/> resources whose <see cref="Parameter"/> points at it
/// (<c>Schedule.slots</c> = <c>Slot?schedule=</c>, a <c>_revinclude</c>).
/// </summary>
public sealed record Navigation(bool Reverse, string Source, string Parameter, string Target)
{
    /// <summary>The resource type the field's items are.</summary>
    public string ItemType => Reverse ? Source : Target;

    /// <summary>The resource type the field is declared on.</summary>
    public string OwnerType => Reverse ? Target : Source;

    /// <summary>The include that brings the field's items; <paramref name="iterate"/> below the first level.</summary>
    public FhirInclude Include(bool iterate) => new(Reverse, Source, Parameter, Reverse ? null : Target, iterate);
}

/// <summary>
/// The one table of which GraphQL field reaches which resources through which FHIR search parameter: the query
/// planner reads it; a field not in it is never planned (its resolver asks as it always did).
/// </summary>
public static class Navigations
{
    private static readonly Dictionary<(string Type, string Field), Navigation> Table = new()
    {
        [("Practitioner", "schedules")] = new(true, "Schedule", ScheduleSearches.ActorParameter, "Practitioner"),
        [("Location", "schedules")] = new(true, "Schedule", ScheduleSearches.ActorParameter, "Location"),
        [("Schedule", "slots")] = new(true, "Slot", SlotSearches.ScheduleParameter, "Schedule"),
        [("Slot", "schedule")] = new(false, "Slot", SlotSearches.ScheduleParameter, "Schedule"),
        [("Slot", "appointments")] = new(true, "Appointment", "slot", "Slot"),
        [("Appointment", "slots")] = new(false, "Appointment", "slot", "Slot"),
        [("Appointment", "patient")] = new(false, "Appointment", "patient", "Patient"),
        [("Appointment", "practitioners")] = new(false, "Appointment", "practitioner", "Practitioner"),
        [("Appointment", "location")] = new(false, "Appointment", "location", "Location"),
        [("Patient", "appointments")] = new(true, "Appointment", "patient", "Patient"),
        [("Practitioner", "appointments")] = new(true, "Appointment", "practitioner", "Practitioner"),
    };

    /// <summary>Every entry: (GraphQL type, field) and its navigation.</summary>
    public static IEnumerable<KeyValuePair<(string Type, string Field), Navigation>> All => Table;

    /// <summary>The navigation of a field of a GraphQL object type named like its FHIR resource type, if any.</summary>
    public static Navigation? Of(string type, string field) => Table.GetValueOrDefault((type, field));

    /// <summary>Whether a GraphQL object type stands for a FHIR resource (its name is the resource type's).</summary>
    public static bool IsResource(string type) => Table.Keys.Any(k => k.Type == type) || Table.Values.Any(n => n.ItemType == type);
}

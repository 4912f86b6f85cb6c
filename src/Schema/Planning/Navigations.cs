using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Planning;

/// <summary>
/// What a field answers of the resources its navigation's include brings for one resource in hand. An include of a
/// reference parameter brings every resource the parameter points at (every patient of a group appointment), a
/// reverse include every resource pointing back; a field that answers fewer (the first patient) would have the
/// planned search read resources the DataLoaders never fetch, which the search budget did not price.
/// </summary>
public enum Answers
{
    /// <summary>Every resource the include brings for it (a forward field over all the parameter's targets of the
    /// target type; a reverse list, when unfiltered): the planner may include it.</summary>
    All,

    /// <summary>One of them (<c>Appointment.patient</c>: the first participant that is a patient): never included;
    /// the DataLoaders load the one the field answers.</summary>
    One,
}

/// <summary>
/// How a GraphQL field steps from one FHIR resource to others through a reference search parameter. Forward
/// (<see cref="Reverse"/> false): <see cref="Source"/> resources hold <see cref="Parameter"/> pointing at
/// <see cref="Target"/> (<c>Appointment.patient</c>, an <c>_include</c>). Reverse: the field of a
/// <see cref="Target"/> lists the <see cref="Source"/> resources whose <see cref="Parameter"/> points at it
/// (<c>Schedule.slots</c> = <c>Slot?schedule=</c>, a <c>_revinclude</c>). <see cref="Answers"/>: whether the field
/// answers every resource that include brings, or fewer.
/// </summary>
public sealed record Navigation(bool Reverse, string Source, string Parameter, string Target, Answers Answers)
{
    /// <summary>The resource type the field's items are.</summary>
    public string ItemType => Reverse ? Source : Target;

    /// <summary>The resource type the field is declared on.</summary>
    public string OwnerType => Reverse ? Target : Source;

    /// <summary>Whether the include brings only what the field answers: the one condition for planning it at all.</summary>
    public bool Includable => Answers == Answers.All;

    /// <summary>The include that brings the field's items; <paramref name="iterate"/> below the first level.</summary>
    public FhirInclude Include(bool iterate) => new(Reverse, Source, Parameter, Reverse ? null : Target, iterate);
}

/// <summary>
/// The one table of which GraphQL field reaches which resources through which FHIR search parameter, and whether it
/// answers all of them (<see cref="Answers"/>): the query planner reads it; a field not in it, or answering fewer than
/// its include brings, is never planned (its resolver asks as it always did).
/// </summary>
public static class Navigations
{
    // Reverse lists answer every resource pointing at their owner (Patient.appointments = Appointment?patient=, which
    // matches any patient participant, as the _revinclude does); a filtered one is never planned (IncludePlanner).
    // Forward: Slot.schedule is one reference (1..1), Appointment.slots loads every slot, practitioners every participant
    // that is a practitioner (what Appointment:practitioner points at), patients and locations every participant that
    // is a patient (location): exactly what Appointment:patient (:location) brings. patient and location answer the
    // FIRST one, while the include brings every one, a group appointment's co-patients too, and FHIR has no parameter
    // for "the first": left to the DataLoaders. Two fields on one parameter are two entries; the walker reaches a type
    // one way (IncludePlanner), and a field answering one is never that way. Keep the order (new entries at the end):
    // generated tests (PlannerSelectionTests) walk the table in it, and a recorded CsCheck seed replays only in it.
    private static readonly Dictionary<(string Type, string Field), Navigation> Table = new()
    {
        [("Practitioner", "schedules")] = new(true, "Schedule", ScheduleSearches.ActorParameter, "Practitioner", Answers.All),
        [("Location", "schedules")] = new(true, "Schedule", ScheduleSearches.ActorParameter, "Location", Answers.All),
        [("Schedule", "slots")] = new(true, "Slot", SlotSearches.ScheduleParameter, "Schedule", Answers.All),
        [("Slot", "schedule")] = new(false, "Slot", SlotSearches.ScheduleParameter, "Schedule", Answers.All),
        [("Slot", "appointments")] = new(true, "Appointment", "slot", "Slot", Answers.All),
        [("Appointment", "slots")] = new(false, "Appointment", "slot", "Slot", Answers.All),
        [("Appointment", "patient")] = new(false, "Appointment", "patient", "Patient", Answers.One),
        [("Appointment", "practitioners")] = new(false, "Appointment", "practitioner", "Practitioner", Answers.All),
        [("Appointment", "location")] = new(false, "Appointment", "location", "Location", Answers.One),
        [("Patient", "appointments")] = new(true, "Appointment", "patient", "Patient", Answers.All),
        [("Practitioner", "appointments")] = new(true, "Appointment", "practitioner", "Practitioner", Answers.All),
        [("Appointment", "patients")] = new(false, "Appointment", "patient", "Patient", Answers.All),
        [("Appointment", "locations")] = new(false, "Appointment", "location", "Location", Answers.All),
    };

    /// <summary>Every entry: (GraphQL type, field) and its navigation.</summary>
    public static IEnumerable<KeyValuePair<(string Type, string Field), Navigation>> All => Table;

    /// <summary>The navigation of a field of a GraphQL object type named like its FHIR resource type, if any.</summary>
    public static Navigation? Of(string type, string field) => Table.GetValueOrDefault((type, field));

    /// <summary>Whether a GraphQL object type stands for a FHIR resource (its name is the resource type's).</summary>
    public static bool IsResource(string type) => Table.Keys.Any(k => k.Type == type) || Table.Values.Any(n => n.ItemType == type);
}

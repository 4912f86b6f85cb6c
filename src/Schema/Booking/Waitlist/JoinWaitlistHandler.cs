using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking.Waitlist;

/// <summary>What joinWaitlist asks for: a patient, whom or what (practitioners, a service, or both), when, and for how long.</summary>
public sealed record JoinWaitlistInput
{
    public string PatientId { get; init; } = string.Empty;

    public string? PractitionerId { get; init; }

    public IEnumerable<string>? PractitionerIds { get; init; }

    public string? ServiceType { get; init; }

    public IEnumerable<WaitlistWindow>? Windows { get; init; }

    public int DurationMinutes { get; init; }

    public string? ClientMutationId { get; init; }
}

/// <summary>One acceptable window of an entry.</summary>
public sealed record WaitlistWindow
{
    public DateTimeOffset Start { get; init; }

    public DateTimeOffset End { get; init; }
}

/// <summary>
/// joinWaitlist: a new entry at the end of the line (<see cref="WaitlistEntry"/>). A patient joins only for
/// themselves; the practitioners and the patient must exist. The matcher hears the new entry like any change and
/// offers it a time at once if one is free (<see cref="WaitlistMatcher"/>).
/// </summary>
public sealed class JoinWaitlistHandler(AppointmentChanges changes, TimeTaking taking, IOptions<WaitlistOptions> options)
{
    public async Task<Appointment> JoinAsync(JoinWaitlistInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        taking.RequireMayBookFor(input.PatientId);
        var practitioners = PractitionersOf(input);
        if (practitioners.Count > Schedules.RequiredActor.MaxPool)
        {
            // One bound for "any of these practitioners", here as in availability's pools: each is read and searched on every pass.
            throw Invalid($"Wait for at most {Schedules.RequiredActor.MaxPool} practitioners.", "practitionerIds");
        }

        foreach (var practitioner in practitioners)
        {
            Authorization.SchedulingAccess.Require(changes.Access.CanWaitFor(FhirReference.For<Practitioner>(practitioner)),
                () => new Authorization.ForbiddenError($"Practitioner '{practitioner}' is not this caller's to put patients on the waitlist for."));
        }

        var serviceType = string.IsNullOrWhiteSpace(input.ServiceType) ? null : input.ServiceType.Trim();
        if (practitioners.Count == 0 && serviceType is null)
        {
            throw Invalid("Say whom or what you wait for: practitionerId, practitionerIds or serviceType.", "practitionerIds");
        }

        if (input.DurationMinutes is < 5 or > 24 * 60)
        {
            throw Invalid("'durationMinutes' must be between 5 and 1440.", "durationMinutes");
        }

        // Idempotent by clientMutationId as bookings are (the same key, TimeTaking's): a retry returns the entry made.
        var idempotencyKey = TimeTaking.IdempotencyKey(input.PatientId, input.ClientMutationId);
        if (idempotencyKey is not null && await taking.FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } earlier)
        {
            return IsSameJoin(earlier, input, practitioners, serviceType)
                ? earlier
                : throw Invalid("This clientMutationId was used for another request.", "clientMutationId", "idempotency-key");
        }

        var windows = WindowsOf(input, TimeSpan.FromMinutes(input.DurationMinutes), changes.Now);
        await changes.Store.ReadRequiredAsync<Patient>(input.PatientId, cancellationToken);
        foreach (var practitioner in practitioners)
        {
            await changes.Store.ReadRequiredAsync<Practitioner>(practitioner, cancellationToken);
        }

        var waiting = await changes.Store.SearchAllAsync<Appointment>(
            AppointmentSearches.NarrowedTo(WaitlistSearches.Waiting(), FhirReference.For<Patient>(input.PatientId)), cancellationToken);
        if (waiting.Count >= options.Value.MaxEntriesPerPatient)
        {
            throw Invalid($"A patient waits on at most {options.Value.MaxEntriesPerPatient} waitlist entries at once.", "patientId", "waitlist-entries");
        }

        var entry = WaitlistEntry.New(input.PatientId, practitioners, serviceType, windows, input.DurationMinutes, changes.Now);
        if (idempotencyKey is not null)
        {
            entry.Identifier.Add(new Identifier(GatewayProfile.ClientMutationIdSystem, idempotencyKey));
        }

        return (Appointment)(await changes.ApplyAsync([FhirWrite.Create(entry)], cancellationToken))[0];
    }

    /// <summary>Whether an earlier appointment with the key is the entry this join asks for (windows to the second, as FHIR keeps them).</summary>
    private static bool IsSameJoin(Appointment earlier, JoinWaitlistInput input, List<string> practitioners, string? serviceType)
    {
        static long Second(DateTimeOffset t) => t.ToUnixTimeSeconds();
        return WaitlistEntry.From(earlier) is { } entry
            && entry.PatientId == input.PatientId
            && entry.PractitionerIds.Order(StringComparer.Ordinal).SequenceEqual(practitioners.Order(StringComparer.Ordinal))
            && entry.ServiceType == serviceType
            && entry.DurationMinutes == input.DurationMinutes
            && entry.Windows.Select(w => (Second(w.Start), Second(w.End)))
                .SequenceEqual((input.Windows ?? []).Select(w => (Second(w.Start), Second(w.End))));
    }

    private static List<string> PractitionersOf(JoinWaitlistInput input) =>
        [.. new[] { input.PractitionerId }.Concat(input.PractitionerIds ?? []).OfType<string>()
            .Select(id => Mutations.RequireId(id, "practitionerIds")).Distinct(StringComparer.Ordinal)];

    private List<TimeRange> WindowsOf(JoinWaitlistInput input, TimeSpan duration, DateTimeOffset now)
    {
        var windows = (input.Windows ?? []).Select(w => new TimeRange(w.Start, w.End)).ToList();
        if (windows.Count == 0 || windows.Count > options.Value.MaxWindows)
        {
            throw Invalid($"Give between 1 and {options.Value.MaxWindows} windows.", "windows");
        }

        foreach (var window in windows)
        {
            if (window.End <= window.Start || window.End - (window.Start > now ? window.Start : now) < duration)
            {
                throw Invalid("Each window must end after it starts, in the future, with room for the duration.", "windows");
            }

            if (window.Length > TimeSpan.FromDays(Schedules.AvailabilitySearch.MaxWindowDays))
            {
                throw Invalid($"A window spans at most {Schedules.AvailabilitySearch.MaxWindowDays} days.", "windows");
            }
        }

        return windows;
    }

    private static SchedulingException Invalid(string message, string field, string? rule = null) =>
        AppointmentChanges.Fail(new ValidationError(message, field, rule));
}

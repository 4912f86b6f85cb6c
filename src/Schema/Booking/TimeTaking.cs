using Hl7.Fhir.Model;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Schema.Booking;

/// <summary>What a booking or a hold asks for.</summary>
public sealed record TakeRequest(
    BookingTime Time,
    string PatientId,
    string? PractitionerId,
    string? ServiceType,
    string? Reason,
    string? Comment,
    TimeSpan? Hold,
    string? ClientMutationId,
    string? WaitlistEntryId = null);

/// <summary>
/// What a retry after a lost race does not read again: the schedule and the patient (a lost race is about busy
/// time, which every attempt reads afresh with its guards; the schedule's own checks run again on what was read).
/// </summary>
public sealed class TakeReads
{
    public Schedule? Schedule { get; set; }

    /// <summary>Each schedule a booking on several schedules takes, by id, as read.</summary>
    internal Dictionary<string, Schedule> Schedules { get; } = [];

    /// <summary>The schedule known for a part's slots: read by an earlier attempt, or the one schedule given.</summary>
    internal Schedule? KnownFor(IReadOnlyList<Slot> part) =>
        FhirReference.From(part[0].Schedule) is { } reference && Schedules.TryGetValue(reference.Id, out var known) ? known : Schedule;

    public Patient? Patient { get; set; }
}

/// <summary>One booking's time, checked (<see cref="TimeTaking.CheckAsync"/>): its planned slots, the practitioner named, and what the checks found.</summary>
public sealed record CheckedTake(List<Slot> Planned, IReadOnlyList<FhirReference> Named, CheckedSpan Checked);

/// <summary>One booking's writes, not yet applied (<see cref="TimeTaking.PlanWritesAsync"/>): slot writes first, the appointment to create, the guards to claim last.</summary>
public sealed record PlannedTake(IReadOnlyList<FhirWrite> SlotWrites, Appointment Appointment, IReadOnlyList<Basic> Guards);

/// <summary>
/// Book and hold: authorize, plan the slots (nothing written), run every check of <see cref="BookingChecks"/> and
/// the booking rules, then write the rule slots, the slots' new status (If-Match) and the appointment as one change.
/// A retry with the same clientMutationId returns the earlier appointment, if it was for the same time.
/// </summary>
public sealed class TimeTaking(
    AppointmentChanges changes, SlotReservation reservation, BookingChecks checks, BookingRules rules, TimeProvider time)
{
    /// <summary>How often (50 ms apart) a retried booking that lost its slot looks for its own earlier attempt.</summary>
    private const int IdempotencyWaits = 20;

    private IFhirStore Store => changes.Store;

    public async Task<Appointment> TakeAsync(TakeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireMayBookFor(request.PatientId);
        var asked = request.Time.SlotIds is { } ids ? request.Time with { SlotIds = [.. ids.Distinct()] } : request.Time;
        var idempotencyKey = IdempotencyKey(request.PatientId, request.ClientMutationId);
        if (idempotencyKey is null)
        {
            return await TakeRetryingAsync(request, asked, null, cancellationToken);
        }

        if (await FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } earlier)
        {
            return Earlier(earlier, asked);
        }

        try
        {
            return await TakeRetryingAsync(request, asked, idempotencyKey, cancellationToken);
        }
        catch (SchedulingException e) when (e.Error is SlotUnavailableError)
        {
            // The slot may be gone to this same request's earlier attempt, still in flight: written slot by slot,
            // the winner can hold the slot a moment before its appointment exists. Give it that moment.
            for (var attempt = 0; attempt < IdempotencyWaits; attempt++)
            {
                if (await FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } winner && SameTime(winner, asked))
                {
                    return winner;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
            }

            throw;
        }
    }

    /// <summary>
    /// Before any read, the idempotency lookup included: a patient (or a caller without a role) learns nothing of
    /// another patient, not even that they exist or have booked with this key.
    /// </summary>
    internal void RequireMayBookFor(string patientId)
    {
        Mutations.RequireId(patientId, "patientId");
        SchedulingAccess.Require(changes.Access.CanBookFor(patientId), () => new ForbiddenError("A patient books only for themselves; a caller without a role books for nobody."));
    }

    /// <summary>
    /// A lost race for a slot or a span guard reads everything again: the slot may still be free (another booking in
    /// the same hour won), then the next attempt takes it; if it is gone, the next attempt says so. Expired holds in
    /// the span are released and the time taken (<see cref="BookingChecks"/>).
    /// </summary>
    private Task<Appointment> TakeRetryingAsync(TakeRequest request, BookingTime time, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var unchanging = new TakeReads();
        return changes.Retry.RunAsync(() => TakeOnceAsync(request, time, idempotencyKey, unchanging, cancellationToken),
            ContendedRetry.LostMessage, cancellationToken);
    }

    private async Task<Appointment> TakeOnceAsync(
        TakeRequest request, BookingTime time, string? idempotencyKey, TakeReads unchanging, CancellationToken cancellationToken)
    {
        var parts = await CheckPartsAsync(request, time, idempotencyKey, unchanging, cancellationToken);
        // Read after the guards: a concurrent booking with this key that committed first is found here (its guard
        // claim came last), one that commits later loses its If-Match on the patient's guard and finds this one.
        if (idempotencyKey is not null && await FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } earlier)
        {
            return Earlier(earlier, time);
        }

        var taken = await PlanWritesAsync(request, parts, idempotencyKey, unchanging, cancellationToken);
        List<FhirWrite> writes = [.. taken.SlotWrites, FhirWrite.Create(taken.Appointment)];
        var appointmentAt = writes.Count - 1;
        writes.AddRange(SpanGuards.Claim(taken.Guards));
        return (Appointment)(await changes.ApplyContendedAsync(writes, cancellationToken))[appointmentAt];
    }

    /// <summary>
    /// The checks of one booking or hold (nothing written but missing guards): its slots planned, then every check
    /// of <see cref="BookingChecks"/> with the booking rules and the patient's guard. <paramref name="alsoOpening"/>:
    /// the spans of the other appointments the same change opens for the patient (a series' occurrences accepted
    /// before), which the open-bookings limit and the caps count too (<see cref="BookingRuleContext.AlsoOpening"/>).
    /// </summary>
    internal async Task<CheckedTake> CheckAsync(
        TakeRequest request, BookingTime time, string? idempotencyKey, TakeReads unchanging, IReadOnlyList<TimeRange> alsoOpening, CancellationToken cancellationToken)
    {
        var planned = await reservation.PlanAsync(time, cancellationToken);
        return await CheckPlannedAsync(request, planned, Named(request), idempotencyKey, unchanging, Judging(request, [planned], unchanging, alsoOpening, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// The checks of a booking or hold on one schedule or several (<see cref="SlotReservation.PlanPartsAsync"/>): each
    /// part checked as <see cref="CheckAsync"/> checks one (<see cref="MultiResource.SpanParts"/>).
    /// </summary>
    internal async Task<IReadOnlyList<CheckedTake>> CheckPartsAsync(
        TakeRequest request, BookingTime time, string? idempotencyKey, TakeReads unchanging, CancellationToken cancellationToken)
    {
        var planned = await reservation.PlanPartsAsync(time, cancellationToken);
        var takes = new List<CheckedTake>(planned.Count);
        // The booking rules judge the change once, with every part (RuleJudging), not once per part.
        var judging = Judging(request, planned, unchanging, [], cancellationToken);
        await MultiResource.SpanParts.CheckAllAsync(planned, Named(request), async (part, named) =>
        {
            var take = await CheckPlannedAsync(request, part, named, idempotencyKey, unchanging, judging, cancellationToken);
            takes.Add(take with { Named = Named(request) });
            return take.Checked;
        });
        return takes;
    }

    private static FhirReference[] Named(TakeRequest request) =>
        request.PractitionerId is { } id ? [FhirReference.For<Practitioner>(Mutations.RequireId(id, "practitionerId"))] : [];

    /// <summary>The appointment becomes open: every booking rule (<see cref="BookingRules.Judging(RuleScope, Func{Task{Patient}}, IReadOnlyList{IReadOnlyList{Slot}}, Appointment, IReadOnlyList{TimeRange}, IFhirStore, CancellationToken)"/>), once for the change's parts.</summary>
    private RuleJudging? Judging(TakeRequest request, IReadOnlyList<List<Slot>> parts, TakeReads unchanging, IReadOnlyList<TimeRange> alsoOpening, CancellationToken cancellationToken) =>
        rules.Judging(Scope(request), async () => unchanging.Patient ??= await Store.ReadRequiredAsync<Patient>(request.PatientId, cancellationToken), parts, null, alsoOpening, Store, cancellationToken);

    private static RuleScope Scope(TakeRequest request) => BookingRules.ScopeOf(null, request.Hold is null ? AppointmentStatus.Booked : AppointmentStatus.Pending, moves: false);

    private async Task<CheckedTake> CheckPlannedAsync(
        TakeRequest request, List<Slot> planned, IReadOnlyList<FhirReference> named, string? idempotencyKey, TakeReads unchanging, RuleJudging? judging,
        CancellationToken cancellationToken)
    {
        // The appointment becomes open: every booking rule, and the patient's guard, which serializes their bookings
        // for the open-bookings limit (BookingRules) and for their clientMutationIds.
        var spanRequest = new SpanRequest(planned, named, null,
            rules.GuardedPatient(Scope(request), request.PatientId) ?? (idempotencyKey is not null ? request.PatientId : null), unchanging.KnownFor(planned));
        // The patient only now (the rules read it), where the caller may book on the schedule: read before, a missing
        // one would answer NotFound where an existing one answers "no such slot" or FORBIDDEN, telling any practitioner
        // which ids exist. The rules before any guard is written.
        var checkedSpan = await checks.CheckAsync(spanRequest, judging, cancellationToken);
        return new CheckedTake(planned, named, checkedSpan);
    }

    /// <summary>
    /// The writes of one checked booking or hold, not yet applied: its slots' new status (rule slots written first,
    /// as they must exist to be taken) and the new appointment; its guards to claim as the change's last writes.
    /// </summary>
    internal Task<PlannedTake> PlanWritesAsync(
        TakeRequest request, CheckedTake checkedTake, string? idempotencyKey, TakeReads unchanging, CancellationToken cancellationToken) =>
        PlanWritesAsync(request, [checkedTake], idempotencyKey, unchanging, cancellationToken);

    /// <summary>
    /// The writes of a booking or hold checked on one schedule or several: every part's slots (all in the one
    /// appointment's <c>slot</c>), the actors of every part's schedule taking part (<see cref="ScheduleParticipants"/>),
    /// every part's guards once.
    /// </summary>
    internal async Task<PlannedTake> PlanWritesAsync(
        TakeRequest request, IReadOnlyList<CheckedTake> parts, string? idempotencyKey, TakeReads unchanging, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var patient = unchanging.Patient ??= await Store.ReadRequiredAsync<Patient>(request.PatientId, cancellationToken);
        unchanging.Schedule = parts[0].Checked.Schedule;
        foreach (var part in parts)
        {
            unchanging.Schedules[part.Checked.Schedule.Id!] = part.Checked.Schedule;
        }

        var actors = MultiResource.SpanParts.Actors(parts.Select(p => p.Checked));
        var practitioner = ScheduleParticipants.Answering(actors, parts[0].Named.Count > 0 ? parts[0].Named[0] : null);
        var slotsByPart = new List<List<Slot>>(parts.Count);
        foreach (var part in parts)
        {
            slotsByPart.Add(await reservation.MaterializeAsync(part.Planned, cancellationToken));
        }

        List<Slot> slots = [.. slotsByPart.SelectMany(s => s)];
        var span = SlotReservation.SpanOf(slotsByPart[0]);
        var appointment = NewAppointment(request, patient, practitioner, actors, slots, span, changes.Now, idempotencyKey);
        // Each slot as its seats are with this appointment on it (SlotSeats: a slot with seats stays FREE while one is left).
        return new PlannedTake([.. parts.SelectMany((p, i) => slotsByPart[i].Select(s => p.Checked.Take(s, appointment)))], appointment,
            MultiResource.SpanParts.Guards(parts.Select(p => p.Checked)));
    }

    /// <summary>The appointment a booking or hold creates: the patient and the schedule's actors take part (<see cref="ScheduleParticipants"/>).</summary>
    private static Appointment NewAppointment(
        TakeRequest request, Patient patient, FhirReference? practitioner, IReadOnlyList<FhirReference> actors,
        List<Slot> slots, TimeRange span, DateTimeOffset now, string? idempotencyKey)
    {
        var pending = request.Hold is not null;
        var appointment = new Appointment
        {
            Status = pending ? AppointmentStatus.Pending : AppointmentStatus.Booked,
            ServiceType = request.ServiceType is null
                ? [.. slots[0].ServiceType.Select(c => (CodeableConcept)c.DeepCopy())]
                : [new CodeableConcept { Text = request.ServiceType, Coding = [new Coding(null, request.ServiceType)] }],
            Description = request.ServiceType ?? slots[0].ServiceType.FirstOrDefault()?.Text,
            ReasonCode = request.Reason is null ? [] : [new CodeableConcept { Text = request.Reason }],
            Comment = request.Comment,
            Start = span.Start,
            End = span.End,
            MinutesDuration = (int)span.Length.TotalMinutes,
            Created = new FhirDateTime(now).Value,
            Slot = [.. slots.Select(s => new ResourceReference("Slot/" + s.Id))],
            // A hold waits for the answering practitioner (or a confirmation); a direct booking is accepted at once.
            Participant = ScheduleParticipants.For(FhirReference.For<Patient>(patient.Id), practitioner, actors, pending),
        };
        if (idempotencyKey is not null)
        {
            appointment.Identifier.Add(new Identifier(GatewayProfile.ClientMutationIdSystem, idempotencyKey));
        }

        if (request.Hold is { } holdFor)
        {
            appointment.Meta = new Meta { Tag = [new Coding(GatewayProfile.TagSystem, GatewayProfile.HoldTag)] };
            appointment.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(now + holdFor)));
        }

        if (request.WaitlistEntryId is { } entryId)
        {
            Waitlist.WaitlistEntry.MarkOffer(appointment, entryId);
        }

        return appointment;
    }

    /// <summary>The earlier booking with this key if it was for the same time; another time is a typed error.</summary>
    private static Appointment Earlier(Appointment earlier, BookingTime time) =>
        SameTime(earlier, time) ? earlier
            : throw AppointmentChanges.Fail(new ValidationError("This clientMutationId was already used for another booking.", "clientMutationId", "idempotency-key"));

    /// <summary>Whether an earlier appointment was made for exactly this time: an option's span, or these slot ids.</summary>
    private static bool SameTime(Appointment earlier, BookingTime time) =>
        time.Option is { } option ? TimeRange.Of(earlier.Start, earlier.End) == option.Span : SameTime(earlier, time.SlotIds ?? []);

    /// <summary>
    /// Whether an earlier appointment was made for exactly these slot ids: as many, each real id one of its slots,
    /// the rule options inside its time without overlapping, and its whole time when they are all rule options. A
    /// subset of its slots, or a shorter option inside its span, is another booking.
    /// </summary>
    private static bool SameTime(Appointment earlier, IReadOnlyList<string> slotIds)
    {
        var own = earlier.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id).ToHashSet();
        if (TimeRange.Of(earlier.Start, earlier.End) is not { } time || slotIds.Count != own.Count)
        {
            return false;
        }

        var options = new List<TimeRange>();
        foreach (var id in slotIds.Where(id => !own.Contains(id)))
        {
            if (!RuleSlots.TryParse(id, out _, out var span) || !time.Contains(span) || options.Any(o => o.Overlaps(span)))
            {
                return false;
            }

            options.Add(span);
        }

        return options.Count < slotIds.Count || options.Sum(o => o.Length.Ticks) == time.Length.Ticks;
    }

    /// <summary>An earlier booking with this key, among the appointments the caller may see (another's key tells nothing).</summary>
    /// <summary>The key a change taking time is written with (<see cref="GatewayProfile.ClientMutationIdSystem"/>): the patient's and the client's id; null without one.</summary>
    internal static string? IdempotencyKey(string patientId, string? clientMutationId) =>
        clientMutationId is null ? null : patientId + ":" + clientMutationId;

    /// <summary>The appointment an earlier attempt with this key wrote, if the caller may see it.</summary>
    internal async Task<Appointment?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken) =>
        (await Store.SearchAllAsync<Appointment>(changes.Access.Narrow(AppointmentSearches.ByIdempotencyKey(key)), cancellationToken))
        .FirstOrDefault(changes.Access.CanSee);
}

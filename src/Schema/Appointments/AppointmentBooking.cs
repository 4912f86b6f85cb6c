using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Schema.Appointments;

public sealed record BookAppointmentInput
{
    public IEnumerable<string> SlotIds { get; init; } = [];

    public string PatientId { get; init; } = string.Empty;

    public string? PractitionerId { get; init; }

    public string? ServiceType { get; init; }

    public string? Reason { get; init; }

    public string? Comment { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record HoldSlotsInput
{
    public IEnumerable<string> SlotIds { get; init; } = [];

    public string PatientId { get; init; } = string.Empty;

    public string? PractitionerId { get; init; }

    public int? HoldMinutes { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record AppointmentIdInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public string? ClientMutationId { get; init; }
}

public sealed record CancelAppointmentInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public string Reason { get; init; } = string.Empty;

    public string? ClientMutationId { get; init; }
}

public sealed record RescheduleAppointmentInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public IEnumerable<string> SlotIds { get; init; } = [];

    public string? ClientMutationId { get; init; }
}

public sealed record ChangeAppointmentStatusInput
{
    public string AppointmentId { get; init; } = string.Empty;

    public AppointmentStatus Status { get; init; }

    public string? ClientMutationId { get; init; }
}

public sealed record RespondToAppointmentInput
{
    public string AppointmentId { get; init; } = string.Empty;

    /// <summary>The responding participant, as a reference: Practitioner/1, Patient/2.</summary>
    public string ActorId { get; init; } = string.Empty;

    public ParticipationStatus ParticipantStatus { get; init; }

    public string? Comment { get; init; }

    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }

    public string? ClientMutationId { get; init; }
}

/// <summary>
/// The booking lifecycle of SCHEDULING.md over FHIR: book, hold, confirm, cancel, reschedule, status changes and
/// the request/response model. Every change that touches a slot goes through <see cref="FhirChangeSet"/> with the
/// versions read (If-Match), slots first: a client that loses a race for a slot writes nothing and gets a
/// SlotUnavailableError; no slot is ever taken twice nor left busy without its appointment.
/// </summary>
public sealed class AppointmentBooking(
    IFhirStore store,
    FhirChangeSet changes,
    AvailabilitySearch availability,
    BookingRules rules,
    IOptions<BookingOptions> options,
    SchedulingAccess access,
    TimeProvider time)
{
    public const string GatewaySystem = "https://scheduling-gateway.example.org/fhir";
    public const string HoldExpiresExtension = GatewaySystem + "/StructureDefinition/hold-expires";
    public const string TagSystem = GatewaySystem + "/CodeSystem/tags";
    public const string HoldTag = "hold";
    public const string ClientMutationIdSystem = GatewaySystem + "/identifier/client-mutation-id";

    /// <summary>How often (50 ms apart) a retried booking that lost its slot looks for its own earlier attempt.</summary>
    private const int IdempotencyWaits = 20;

    /// <summary>Statuses in which an appointment holds its slots.</summary>
    public static readonly AppointmentStatus[] ActiveStatuses =
        [AppointmentStatus.Proposed, AppointmentStatus.Pending, AppointmentStatus.Booked, AppointmentStatus.Arrived, AppointmentStatus.CheckedIn, AppointmentStatus.Waitlist];

    /// <summary>The status changes changeAppointmentStatus makes (the rest have their own mutations).</summary>
    private static readonly Dictionary<AppointmentStatus, AppointmentStatus[]> StatusChanges = new()
    {
        [AppointmentStatus.CheckedIn] = [AppointmentStatus.Booked],
        [AppointmentStatus.Arrived] = [AppointmentStatus.Booked, AppointmentStatus.CheckedIn],
        [AppointmentStatus.Fulfilled] = [AppointmentStatus.Arrived, AppointmentStatus.CheckedIn],
        [AppointmentStatus.Noshow] = [AppointmentStatus.Booked],
    };

    public Task<Appointment> BookAsync(BookAppointmentInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TakeSlotsAsync(input.SlotIds, input.PatientId, input.PractitionerId, input.ServiceType, input.Reason, input.Comment,
            hold: null, input.ClientMutationId, cancellationToken);
    }

    public Task<Appointment> HoldAsync(HoldSlotsInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var minutes = input.HoldMinutes ?? options.Value.DefaultHoldMinutes;
        if (minutes < 1 || minutes > options.Value.MaxHoldMinutes)
        {
            throw Fail(new ValidationError($"'holdMinutes' must be between 1 and {options.Value.MaxHoldMinutes}.", "holdMinutes"));
        }

        return TakeSlotsAsync(input.SlotIds, input.PatientId, input.PractitionerId, null, null, null,
            TimeSpan.FromMinutes(minutes), input.ClientMutationId, cancellationToken);
    }

    /// <summary>Turns a standing hold into a booking: pending → booked, slots busy-tentative → busy.</summary>
    public async Task<Appointment> ConfirmAsync(string appointmentId, CancellationToken cancellationToken)
    {
        var appointment = await ReadToChangeAsync(appointmentId, cancellationToken);
        if (appointment.Status != AppointmentStatus.Pending || HoldExpiry(appointment) is not { } expires)
        {
            throw Fail(Transition(appointment, AppointmentStatus.Booked, "Only a standing hold can be confirmed."));
        }

        if (expires <= time.GetUtcNow())
        {
            throw Fail(Transition(appointment, AppointmentStatus.Booked, $"The hold expired at {IsoDateTimeGraphType.Format(expires)}."));
        }

        var slots = await ReadSlotsAsync(appointment, cancellationToken);
        var writes = slots.Select(s => Retag(s, SlotStatus.Busy)).ToList();
        var booked = (Appointment)appointment.DeepCopy();
        booked.Status = AppointmentStatus.Booked;
        ClearHold(booked);
        foreach (var participant in booked.Participant)
        {
            participant.Status = ParticipationStatus.Accepted;
        }

        writes.Add(FhirWrite.Update(appointment, booked));
        return (Appointment)(await ApplyOrConflictAsync(writes, cancellationToken))[^1];
    }

    public async Task<Appointment> CancelAsync(string appointmentId, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw Fail(new ValidationError("A cancellation needs a reason.", "reason"));
        }

        var appointment = await ReadToChangeAsync(appointmentId, cancellationToken);
        return await CancelAsync(appointment, reason, cancellationToken);
    }

    /// <summary>Moves an appointment to other slots: takes the new ones and frees the old ones, as one change.</summary>
    public async Task<Appointment> RescheduleAsync(RescheduleAppointmentInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var appointment = await ReadToChangeAsync(input.AppointmentId, cancellationToken);
        if (appointment.Status is not (AppointmentStatus.Booked or AppointmentStatus.Pending))
        {
            throw Fail(Transition(appointment, AppointmentStatus.Booked, "Only a booked or held appointment can be rescheduled."));
        }

        var oldSlots = await ReadSlotsAsync(appointment, cancellationToken);
        var newSlots = await ResolveFreeSlotsAsync(input.SlotIds, cancellationToken, alreadyOurs: oldSlots.Select(s => s.Id!).ToHashSet());
        var patient = await PatientOfAsync(appointment, cancellationToken);
        var (start, end) = Span(newSlots);
        await rules.CheckAsync(new BookingRuleContext(patient, newSlots, start, end, time.GetUtcNow(), appointment.Id, store), cancellationToken);

        var takenStatus = appointment.Status == AppointmentStatus.Pending ? SlotStatus.BusyTentative : SlotStatus.Busy;
        var keep = newSlots.Select(s => s.Id).ToHashSet();
        var writes = newSlots.Where(s => !oldSlots.Any(o => o.Id == s.Id)).Select(s => Retag(s, takenStatus)).ToList();
        var moved = (Appointment)appointment.DeepCopy();
        moved.Slot = [.. newSlots.Select(s => new ResourceReference("Slot/" + s.Id))];
        moved.Start = start;
        moved.End = end;
        moved.MinutesDuration = (int)(end - start).TotalMinutes;
        writes.Add(FhirWrite.Update(appointment, moved));
        writes.AddRange(await FreeSlotWritesAsync(oldSlots.Where(s => !keep.Contains(s.Id)).ToList(), appointment.Id!, cancellationToken));
        return (Appointment)(await ApplyOrSlotUnavailableAsync(writes, newSlots, cancellationToken)).First(r => r is Appointment);
    }

    /// <summary>Check-in, arrival, fulfilment and no-show, as FHIR's state machine allows them.</summary>
    public async Task<Appointment> ChangeStatusAsync(string appointmentId, AppointmentStatus status, CancellationToken cancellationToken)
    {
        // Check-in, arrival and the rest are recorded by the practice, not by the patient (refused before any read).
        SchedulingAccess.Require(access.CanChangeStatus, () => new ForbiddenError("A patient cannot change an appointment's status."));
        var appointment = await ReadToChangeAsync(appointmentId, cancellationToken);
        if (!StatusChanges.TryGetValue(status, out var from))
        {
            var hint = status switch
            {
                AppointmentStatus.Cancelled => "use cancelAppointment",
                AppointmentStatus.Booked => "use bookAppointment or confirmAppointment",
                _ => "this status is not set by a status change",
            };
            throw Fail(Transition(appointment, status, $"Cannot change to {status.GetLiteral()}: {hint}."));
        }

        if (appointment.Status is not { } current || !from.Contains(current))
        {
            throw Fail(Transition(appointment, status,
                $"A {appointment.Status?.GetLiteral() ?? "status-less"} appointment cannot become {status.GetLiteral()}."));
        }

        var changed = (Appointment)appointment.DeepCopy();
        changed.Status = status;
        return (Appointment)(await ApplyOrConflictAsync([FhirWrite.Update(appointment, changed)], cancellationToken))[0];
    }

    /// <summary>
    /// A participant's answer (an AppointmentResponse) and its effect: all required accepted → booked and slots busy;
    /// a required decline → cancelled and slots free; a tentative answer with a new time → everyone needs to answer again.
    /// </summary>
    public async Task<(Appointment Appointment, AppointmentResponse Response)> RespondAsync(RespondToAppointmentInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!FhirReference.TryParse(input.ActorId, out var actor))
        {
            throw Fail(new ValidationError("'actorId' must be a reference such as Practitioner/123.", "actorId"));
        }

        // Before the appointment is read: whom the caller may answer for does not depend on it.
        SchedulingAccess.Require(access.CanAnswerAs(actor), () => new ForbiddenError("A participant answers only for themselves."));
        var appointment = await ReadToChangeAsync(input.AppointmentId, cancellationToken);
        if (appointment.Status is not (AppointmentStatus.Proposed or AppointmentStatus.Pending or AppointmentStatus.Booked))
        {
            throw Fail(Transition(appointment, appointment.Status ?? AppointmentStatus.Proposed,
                $"A {appointment.Status?.GetLiteral()} appointment takes no more answers."));
        }

        var changed = (Appointment)appointment.DeepCopy();
        var participant = changed.Participant.FirstOrDefault(p => FhirReference.From(p.Actor) == actor) ??
            throw Fail(new ValidationError($"{actor} is not a participant of this appointment.", "actorId"));
        var counterProposal = input.ParticipantStatus == ParticipationStatus.Tentative && (input.Start is not null || input.End is not null);
        if (counterProposal && (input.Start is not { } proposedStart || input.End is not { } proposedEnd || proposedEnd <= proposedStart))
        {
            throw Fail(new ValidationError("A counter-proposal needs both 'start' and 'end', end after start.", "end"));
        }

        var response = new AppointmentResponse
        {
            Appointment = new ResourceReference("Appointment/" + appointment.Id),
            Actor = new ResourceReference(actor.ToString()),
            ParticipantStatus = input.ParticipantStatus,
            Comment = input.Comment,
            Start = input.Start,
            End = input.End,
        };

        var slots = await ReadSlotsAsync(appointment, cancellationToken);
        var writes = new List<FhirWrite>();
        participant.Status = input.ParticipantStatus;
        if (counterProposal)
        {
            foreach (var p in changed.Participant)
            {
                p.Status = ParticipationStatus.NeedsAction;
            }
        }
        else if (input.ParticipantStatus == ParticipationStatus.Declined && IsRequired(participant))
        {
            changed.Status = AppointmentStatus.Cancelled;
            changed.CancelationReason = new CodeableConcept { Text = $"Declined by {actor}" };
            ClearHold(changed);
            writes.Add(FhirWrite.Update(appointment, changed));
            writes.AddRange(await FreeSlotWritesAsync(slots, appointment.Id!, cancellationToken));
        }
        else if (changed.Status != AppointmentStatus.Booked &&
                 changed.Participant.Where(IsRequired).All(p => p.Status == ParticipationStatus.Accepted))
        {
            changed.Status = AppointmentStatus.Booked;
            ClearHold(changed);
            writes.AddRange(slots.Where(s => s.Status != SlotStatus.Busy).Select(s => Retag(s, SlotStatus.Busy)));
        }

        if (!writes.Any(w => w.Resource is Appointment))
        {
            writes.Add(FhirWrite.Update(appointment, changed));
        }

        writes.Add(FhirWrite.Create(response));
        var results = await ApplyOrConflictAsync(writes, cancellationToken);
        return ((Appointment)results.First(r => r is Appointment), (AppointmentResponse)results[^1]);
    }

    /// <summary>
    /// The appointment a change is about, if the caller may see it. For patients and practitioners a missing one
    /// is refused exactly like another's, so a mutation cannot probe for ids.
    /// </summary>
    private async Task<Appointment> ReadToChangeAsync(string appointmentId, CancellationToken cancellationToken)
    {
        var id = Mutations.RequireId(appointmentId, "appointmentId");
        // A caller without a role changes no appointment: refused before the read, whatever the id.
        SchedulingAccess.Require(access.ChangesAppointments, () => ForbiddenError.NotYours("Appointment", id));
        if (access.SeesEverything)
        {
            return await store.ReadRequiredAsync<Appointment>(id, cancellationToken);
        }

        var appointment = await store.ReadAsync<Appointment>(id, cancellationToken);
        return appointment is not null && access.CanSee(appointment) ? appointment : throw ForbiddenError.NotYours("Appointment", id);
    }

    /// <summary>Cancels every hold whose time is up and frees its slots; returns how many. Safe to run on every instance.</summary>
    public async Task<int> ExpireHoldsAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var holds = await store.SearchAllAsync<Appointment>(
            FhirQuery.For<Appointment>().Where("status", "pending").WhereToken("_tag", TagSystem, HoldTag), cancellationToken);
        var expired = 0;
        foreach (var hold in holds.Where(h => HoldExpiry(h) is { } expires && expires <= now))
        {
            try
            {
                await CancelAsync(hold, "Hold expired", cancellationToken);
                expired++;
            }
            catch (Exception e) when (e is SchedulingException or FhirVersionConflictException)
            {
                // Confirmed, cancelled or expired by someone else meanwhile: nothing left to do.
            }
        }

        return expired;
    }

    public static DateTimeOffset? HoldExpiry(Appointment appointment) =>
        appointment?.GetExtension(HoldExpiresExtension)?.Value is Instant { Value: { } expires } ? expires : null;

    private async Task<Appointment> TakeSlotsAsync(
        IEnumerable<string> slotIds, string patientId, string? practitionerId, string? serviceType, string? reason, string? comment,
        TimeSpan? hold, string? clientMutationId, CancellationToken cancellationToken)
    {
        Mutations.RequireId(patientId, "patientId");
        // Before any read, the idempotency lookup included: a patient (or a caller without a role) learns nothing
        // of another patient, not even that they exist or have booked with this key.
        SchedulingAccess.Require(access.CanBookFor(patientId), () => new ForbiddenError("A patient books only for themselves; a caller without a role books for nobody."));
        var idempotencyKey = clientMutationId is null ? null : patientId + ":" + clientMutationId;
        if (idempotencyKey is null)
        {
            return await TakeSlotsOnceAsync(slotIds, patientId, practitionerId, serviceType, reason, comment, hold, null, cancellationToken);
        }

        if (await FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } earlier)
        {
            return earlier;
        }

        try
        {
            return await TakeSlotsOnceAsync(slotIds, patientId, practitionerId, serviceType, reason, comment, hold, idempotencyKey, cancellationToken);
        }
        catch (SchedulingException e) when (e.Error is SlotUnavailableError)
        {
            // The slot may be gone to this same request's earlier attempt, still in flight: written slot by slot,
            // the winner can hold the slot a moment before its appointment exists. Give it that moment.
            for (var attempt = 0; attempt < IdempotencyWaits; attempt++)
            {
                if (await FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } winner)
                {
                    return winner;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
            }

            throw;
        }
    }

    private async Task<Appointment> TakeSlotsOnceAsync(
        IEnumerable<string> slotIds, string patientId, string? practitionerId, string? serviceType, string? reason, string? comment,
        TimeSpan? hold, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var slots = await ResolveFreeSlotsAsync(slotIds, cancellationToken);
        var scheduleReference = FhirReference.From(slots[0].Schedule);
        if (scheduleReference is null || slots.Any(s => FhirReference.From(s.Schedule) != scheduleReference))
        {
            throw Fail(new ValidationError("All slots of one booking must belong to one schedule.", "slotIds"));
        }

        var schedule = await store.ReadRequiredAsync<Schedule>(scheduleReference.Value.Id, cancellationToken);
        SchedulingAccess.Require(access.CanBookOn(schedule), () => new ForbiddenError($"Schedule '{schedule.Id}' is not this caller's to book on."));
        // Only now, where the caller may book, the patient: read before, a missing one would answer NotFound where an
        // existing one answers "no such slot" or FORBIDDEN, telling any practitioner which patient ids exist.
        var patient = await store.ReadRequiredAsync<Patient>(patientId, cancellationToken);
        var scheduleActors = schedule.Actor.Select(FhirReference.From).OfType<FhirReference>().ToList();
        var practitioner = practitionerId is null
            ? scheduleActors.FirstOrDefault(a => a.ResourceType == "Practitioner")
            : FhirReference.For<Practitioner>(Mutations.RequireId(practitionerId, "practitionerId"));
        if (practitionerId is not null)
        {
            await store.ReadRequiredAsync<Practitioner>(practitionerId, cancellationToken);
        }

        var (start, end) = Span(slots);
        var now = time.GetUtcNow();
        await rules.CheckAsync(new BookingRuleContext(patient, slots, start, end, now, null, store), cancellationToken);

        var pending = hold is not null;
        var appointment = new Appointment
        {
            Status = pending ? AppointmentStatus.Pending : AppointmentStatus.Booked,
            ServiceType = serviceType is null
                ? [.. slots[0].ServiceType.Select(c => (CodeableConcept)c.DeepCopy())]
                : [new CodeableConcept { Text = serviceType, Coding = [new Coding(null, serviceType)] }],
            Description = serviceType ?? slots[0].ServiceType.FirstOrDefault()?.Text,
            ReasonCode = reason is null ? [] : [new CodeableConcept { Text = reason }],
            Comment = comment,
            Start = start,
            End = end,
            MinutesDuration = (int)(end - start).TotalMinutes,
            Created = new FhirDateTime(now).Value,
            Slot = [.. slots.Select(s => new ResourceReference("Slot/" + s.Id))],
            Participant = [Participant("Patient/" + patient.Id, ParticipationStatus.Accepted)],
        };
        if (practitioner is { } doctor)
        {
            // A hold waits for the practitioner's answer (or a confirmation); a direct booking is accepted at once.
            appointment.Participant.Add(Participant(doctor.ToString(), pending ? ParticipationStatus.NeedsAction : ParticipationStatus.Accepted));
        }

        appointment.Participant.AddRange(scheduleActors.Where(a => a.ResourceType == "Location")
            .Select(a => Participant(a.ToString(), ParticipationStatus.Accepted)));
        if (idempotencyKey is not null)
        {
            appointment.Identifier.Add(new Identifier(ClientMutationIdSystem, idempotencyKey));
        }

        if (hold is { } holdFor)
        {
            appointment.Meta = new Meta { Tag = [new Coding(TagSystem, HoldTag)] };
            appointment.Extension.Add(new Extension(HoldExpiresExtension, new Instant(now + holdFor)));
        }

        var writes = slots.Select(s => Retag(s, pending ? SlotStatus.BusyTentative : SlotStatus.Busy)).ToList();
        writes.Add(FhirWrite.Create(appointment));
        return (Appointment)(await ApplyOrSlotUnavailableAsync(writes, slots, cancellationToken))[^1];
    }

    private async Task<Appointment> CancelAsync(Appointment appointment, string reason, CancellationToken cancellationToken)
    {
        if (appointment.Status is not { } status || !ActiveStatuses.Contains(status) || status is AppointmentStatus.Arrived)
        {
            throw Fail(Transition(appointment, AppointmentStatus.Cancelled,
                $"A {appointment.Status?.GetLiteral()} appointment cannot be cancelled."));
        }

        var cancelled = (Appointment)appointment.DeepCopy();
        cancelled.Status = AppointmentStatus.Cancelled;
        cancelled.CancelationReason = new CodeableConcept { Text = reason };
        ClearHold(cancelled);
        var slots = await ReadSlotsAsync(appointment, cancellationToken);
        List<FhirWrite> writes = [FhirWrite.Update(appointment, cancelled), .. await FreeSlotWritesAsync(slots, appointment.Id!, cancellationToken)];
        return (Appointment)(await ApplyOrConflictAsync(writes, cancellationToken))[0];
    }

    /// <summary>The slots to book, each free (or overbookable), contiguous, none in the past.</summary>
    private async Task<List<Slot>> ResolveFreeSlotsAsync(IEnumerable<string> slotIds, CancellationToken cancellationToken, HashSet<string>? alreadyOurs = null)
    {
        var ids = (slotIds ?? []).Distinct().ToList();
        if (ids.Count == 0 || ids.Count > 24)
        {
            throw Fail(new ValidationError("Give between 1 and 24 slot ids.", "slotIds"));
        }

        // Real slots in one search; times computed from a rule each become their slot.
        var real = ids.Where(FhirReference.IsValidId).ToList();
        var slots = real.Count == 0 ? [] : (await store.SearchAllAsync<Slot>(FhirQuery.For<Slot>().WhereAny("_id", real), cancellationToken)).ToList();
        foreach (var id in ids.Where(id => !slots.Any(s => s.Id == id)))
        {
            slots.Add((FhirReference.IsValidId(id) ? null : await availability.MaterializeRuleSlotAsync(id, cancellationToken)) ??
                throw Fail(new NotFoundError($"Slot {id} does not exist.", "Slot", id)));
        }

        slots = [.. slots.OrderBy(s => s.Start)];
        var taken = slots.Where(s => !(alreadyOurs?.Contains(s.Id!) ?? false) && !IsTakeable(s)).Select(s => s.Id!).ToList();
        if (taken.Count > 0)
        {
            throw Fail(new SlotUnavailableError("The slot is no longer free.", taken));
        }

        if (slots.Any(s => s.Start is null || s.End is null))
        {
            throw Fail(new ValidationError("A slot without start and end cannot be booked.", "slotIds"));
        }

        for (var i = 1; i < slots.Count; i++)
        {
            if (slots[i].Start != slots[i - 1].End)
            {
                throw Fail(new ValidationError("The slots of one booking must follow each other without gaps.", "slotIds"));
            }
        }

        if (slots[0].Start <= time.GetUtcNow())
        {
            throw Fail(new ValidationError("That time has passed.", "slotIds", "not-in-the-past"));
        }

        return slots;
    }

    /// <summary>Free, or already busy but marked overbooked (the only way a slot takes a second appointment).</summary>
    private static bool IsTakeable(Slot slot) =>
        slot.Status == SlotStatus.Free || (slot.Status == SlotStatus.Busy && slot.Overbooked == true);

    private async Task<List<Slot>> ReadSlotsAsync(Appointment appointment, CancellationToken cancellationToken)
    {
        var ids = appointment.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id).Distinct().ToList();
        return ids.Count == 0 ? [] : [.. await store.SearchAllAsync<Slot>(FhirQuery.For<Slot>().WhereAny("_id", ids), cancellationToken)];
    }

    /// <summary>Writes that free slots an appointment gives up, unless another active appointment still holds them.</summary>
    private async Task<List<FhirWrite>> FreeSlotWritesAsync(List<Slot> slots, string appointmentId, CancellationToken cancellationToken)
    {
        var occupied = slots.Where(s => s.Status is SlotStatus.Busy or SlotStatus.BusyTentative).ToList();
        if (occupied.Count == 0)
        {
            return [];
        }

        var others = await store.SearchAllAsync<Appointment>(
            FhirQuery.For<Appointment>()
                .WhereAny("slot", occupied.Select(s => "Slot/" + s.Id))
                .WhereAny("status", ActiveStatuses.Select(s => s.GetLiteral())),
            cancellationToken);
        var stillHeld = others.Where(a => a.Id != appointmentId)
            .SelectMany(a => a.Slot.Select(FhirReference.From).OfType<FhirReference>().Select(r => r.Id))
            .ToHashSet();
        return [.. occupied.Where(s => !stillHeld.Contains(s.Id!)).Select(s => Retag(s, SlotStatus.Free))];
    }

    /// <summary>An earlier booking with this key, among the appointments the caller may see (another's key tells nothing).</summary>
    private async Task<Appointment?> FindByIdempotencyKeyAsync(string key, CancellationToken cancellationToken) =>
        (await store.SearchAllAsync<Appointment>(access.Narrow(FhirQuery.For<Appointment>().WhereToken("identifier", ClientMutationIdSystem, key)), cancellationToken))
        .FirstOrDefault(access.CanSee);

    private async Task<Patient> PatientOfAsync(Appointment appointment, CancellationToken cancellationToken)
    {
        var reference = appointment.Participant.Select(p => FhirReference.From(p.Actor)).FirstOrDefault(r => r?.ResourceType == "Patient");
        return reference is { } patient
            ? await store.ReadRequiredAsync<Patient>(patient.Id, cancellationToken)
            : throw Fail(new ValidationError("The appointment has no patient.", "appointmentId"));
    }

    private async Task<IReadOnlyList<Resource>> ApplyOrSlotUnavailableAsync(List<FhirWrite> writes, List<Slot> slots, CancellationToken cancellationToken)
    {
        try
        {
            return await changes.ApplyAsync(writes, cancellationToken);
        }
        catch (FhirVersionConflictException)
        {
            throw Fail(new SlotUnavailableError("Another booking took the slot first.", [.. slots.Select(s => s.Id!)]));
        }
    }

    private async Task<IReadOnlyList<Resource>> ApplyOrConflictAsync(List<FhirWrite> writes, CancellationToken cancellationToken)
    {
        try
        {
            return await changes.ApplyAsync(writes, cancellationToken);
        }
        catch (FhirVersionConflictException)
        {
            throw Fail(new ConflictError("The appointment or its slots changed meanwhile; read it again and retry."));
        }
    }

    private static FhirWrite Retag(Slot slot, SlotStatus status)
    {
        var changed = (Slot)slot.DeepCopy();
        changed.Status = status;
        return FhirWrite.Update(slot, changed);
    }

    private static void ClearHold(Appointment appointment)
    {
        appointment.RemoveExtension(HoldExpiresExtension);
        appointment.Meta?.Tag.RemoveAll(t => t.System == TagSystem && t.Code == HoldTag);
    }

    private static bool IsRequired(Appointment.ParticipantComponent participant) =>
        participant.Required is null or Appointment.ParticipantRequired.Required;

    private static (DateTimeOffset Start, DateTimeOffset End) Span(List<Slot> slots) => (slots[0].Start!.Value, slots[^1].End!.Value);

    private static Appointment.ParticipantComponent Participant(string reference, ParticipationStatus status) => new()
    {
        Actor = new ResourceReference(reference),
        Required = Appointment.ParticipantRequired.Required,
        Status = status,
    };

    private static InvalidTransitionError Transition(Appointment appointment, AppointmentStatus to, string message) =>
        new(message, appointment.Status?.GetLiteral() ?? "none", to.GetLiteral());

    private static SchedulingException Fail(SchedulingError error) => new(error);
}

using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.AppointmentResponses;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Appointments;

public static class AppointmentMutations
{
    public static void AddTo(ObjectGraphType mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        mutation.Field<NonNullGraphType<BookAppointmentPayloadType>>("bookAppointment")
            .Description("Books slots for a patient at once: appointment BOOKED, participants accepted, slots BUSY.")
            .Argument<NonNullGraphType<BookAppointmentInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<BookAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<BookHandler>(c).BookAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<HoldSlotsPayloadType>>("holdSlots")
            .Description("Holds slots for a while: appointment PENDING, slots BUSY_TENTATIVE until confirmed, cancelled or expired.")
            .Argument<NonNullGraphType<HoldSlotsInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<HoldSlotsInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<HoldHandler>(c).HoldAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<ConfirmAppointmentPayloadType>>("confirmAppointment")
            .Description("Turns a standing hold into a booking.")
            .Argument<NonNullGraphType<ConfirmAppointmentInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<AppointmentIdInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<ConfirmHandler>(c).ConfirmAsync(input.AppointmentId, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<CancelAppointmentPayloadType>>("cancelAppointment")
            .Description("Cancels a booked, held or proposed appointment and frees its slots.")
            .Argument<NonNullGraphType<CancelAppointmentInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CancelAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<CancelHandler>(c).CancelAsync(input.AppointmentId, input.Reason, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<RescheduleAppointmentPayloadType>>("rescheduleAppointment")
            .Description("Moves an appointment to other slots, taking the new and freeing the old as one change.")
            .Argument<NonNullGraphType<RescheduleAppointmentInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<RescheduleAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<RescheduleHandler>(c).RescheduleAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<ChangeAppointmentStatusPayloadType>>("changeAppointmentStatus")
            .Description("Check-in, arrival, fulfilment or no-show: BOOKED → CHECKED_IN → ARRIVED → FULFILLED, BOOKED → NOSHOW; no-show and fulfilment from the start on, check-in and arrival from Booking:CheckInMinutesBeforeStart before it.")
            .Argument<NonNullGraphType<ChangeAppointmentStatusInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<ChangeAppointmentStatusInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<StatusChangeHandler>(c).ChangeStatusAsync(input.AppointmentId, input.Status, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<RespondToAppointmentPayloadType>>("respondToAppointment")
            .Description("A participant's answer: accept, decline, or tentative with a new time (a counter-proposal). BOOKED while every required participant has accepted: a required participant's TENTATIVE or NEEDS_ACTION puts a BOOKED appointment back to PENDING, its slots BUSY_TENTATIVE.")
            .Argument<NonNullGraphType<RespondToAppointmentInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<RespondToAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, async () =>
                {
                    var (appointment, response) = await Handler<RespondHandler>(c).RespondAsync(input, c.CancellationToken);
                    return new AppointmentAnswer(appointment, response);
                });
            });
    }

    /// <summary>The booking core's handler of one use case; the mutation only maps its input and result.</summary>
    private static T Handler<T>(IResolveFieldContext context)
        where T : notnull =>
        context.RequestServices!.GetRequiredService<T>();
}

/// <summary>An appointment after a participant answered, and the answer.</summary>
public sealed record AppointmentAnswer(Appointment Appointment, AppointmentResponse Response);

public sealed class BookAppointmentInputType : InputObjectGraphType<BookAppointmentInput>
{
    public BookAppointmentInputType()
    {
        Name = "BookAppointmentInput";
        Description = "What bookAppointment books: the slots, for whom, with whom, and why.";
        BookingTimeInputType.AddTo(this, "The time booked: an availability option's id, or contiguous slots of one schedule.");
        Field<NonNullGraphType<IdGraphType>>("patientId").Description("The patient the appointment is for; a patient books only for themselves.");
        Field<IdGraphType>("practitionerId").Description("The practitioner taking part; default: the schedule's practitioner.");
        Field<StringGraphType>("serviceType").Description("The kind of service, a code or system|code; default: the slot's service type.");
        Field<StringGraphType>("reason").Description("Why the appointment is made, in words.");
        Field<StringGraphType>("comment").Description("A note on the appointment.");
        MutationInputs.ClientMutationId(this, "Retrying with the same value returns the same appointment instead of booking again.");
    }
}

public sealed class HoldSlotsInputType : InputObjectGraphType<HoldSlotsInput>
{
    public HoldSlotsInputType()
    {
        Name = "HoldSlotsInput";
        Description = "What holdSlots holds: the slots, for whom, and for how long.";
        BookingTimeInputType.AddTo(this, "The time held: an availability option's id, or contiguous slots of one schedule.");
        Field<NonNullGraphType<IdGraphType>>("patientId").Description("The patient the hold is for; a patient holds only for themselves.");
        Field<IdGraphType>("practitionerId").Description("The practitioner taking part; default: the schedule's practitioner.");
        Field<IntGraphType>("holdMinutes").Description("How long the hold stands (default from settings).");
        MutationInputs.ClientMutationId(this, "Retrying with the same value returns the same hold instead of holding again.");
    }
}

/// <summary>
/// Which time a booking, hold or reschedule takes, exactly one of two ways (<c>@oneOf</c>): an availability option's
/// id, or slot ids. The deprecated <c>slotIds</c> beside it stays for clients built before it.
/// </summary>
public sealed class BookingTimeInputType : InputObjectGraphType<BookingTime>
{
    public BookingTimeInputType()
    {
        Name = "BookingTimeInput";
        Description = "Exactly one of: optionId (an availability option, booked exactly as offered) or slotIds (contiguous slots of one schedule).";
        IsOneOf = true;
        Field<IdGraphType>("optionId")
            .Description("An availability option's id: books exactly its span, its rule slot or the real slots that cover it; SLOT_UNAVAILABLE once it is no longer free.");
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("slotIds")
            .Description("Contiguous slots of one schedule (global ids), or the slotIds of an availability option.");
    }

    public override object ParseDictionary(IDictionary<string, object?> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new BookingTime(
            value.TryGetValue("slotIds", out var ids) && ids is IEnumerable<object?> list ? [.. list.Select(i => i?.ToString() ?? string.Empty)] : null,
            value.TryGetValue("optionId", out var option) ? option as OfferedTime : null);
    }

    /// <summary>The <c>time</c> field of an input, and the deprecated <c>slotIds</c> beside it (exactly one of the two is given).</summary>
    public static void AddTo(IInputObjectGraphType input, string description)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.AddField(new FieldType { Name = "time", Type = typeof(BookingTimeInputType), Description = description + " Required unless the deprecated slotIds is given." });
        input.AddField(new FieldType
        {
            Name = "slotIds",
            Type = typeof(ListGraphType<NonNullGraphType<IdGraphType>>),
            Description = "Contiguous slots of one schedule, or the slotIds of an availability option; give time instead (not both).",
            DeprecationReason = "Use time: { slotIds: [...] } or time: { optionId: ... }.",
        });
    }
}

public sealed class ConfirmAppointmentInputType : InputObjectGraphType<AppointmentIdInput>
{
    public ConfirmAppointmentInputType()
    {
        Name = "ConfirmAppointmentInput";
        Description = "Which hold confirmAppointment turns into a booking.";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The held (PENDING) appointment, as holdSlots returned it.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class CancelAppointmentInputType : InputObjectGraphType<CancelAppointmentInput>
{
    public CancelAppointmentInputType()
    {
        Name = "CancelAppointmentInput";
        Description = "Which appointment cancelAppointment cancels, and why.";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The appointment to cancel.");
        Field<NonNullGraphType<StringGraphType>>("reason").Description("Why it is cancelled (not blank); kept as the appointment's cancelationReason.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class RescheduleAppointmentInputType : InputObjectGraphType<RescheduleAppointmentInput>
{
    public RescheduleAppointmentInputType()
    {
        Name = "RescheduleAppointmentInput";
        Description = "Which appointment rescheduleAppointment moves, and to which slots.";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The booked or held appointment to move.");
        BookingTimeInputType.AddTo(this, "The new time: an availability option's id, or contiguous slots of one schedule.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class ChangeAppointmentStatusInputType : InputObjectGraphType<ChangeAppointmentStatusInput>
{
    public ChangeAppointmentStatusInputType()
    {
        Name = "ChangeAppointmentStatusInput";
        Description = "Which appointment changeAppointmentStatus moves on, and to which status.";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The appointment whose status changes.");
        Field<NonNullGraphType<AppointmentStatusType>>("status").Description("The new status: CHECKED_IN, ARRIVED, FULFILLED or NOSHOW.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class RespondToAppointmentInputType : InputObjectGraphType<RespondToAppointmentInput>
{
    public RespondToAppointmentInputType()
    {
        Name = "RespondToAppointmentInput";
        Description = "A participant's answer to an appointment, for respondToAppointment.";
        Field<NonNullGraphType<IdGraphType>>("appointmentId").Description("The appointment answered.");
        Field<NonNullGraphType<IdGraphType>>("actorId").Description("The answering participant's global id (or FHIR reference Practitioner/1, Patient/2, ...).");
        Field<NonNullGraphType<ParticipationStatusType>>("participantStatus").Description("The answer: ACCEPTED, DECLINED, TENTATIVE or NEEDS_ACTION.");
        Field<StringGraphType>("comment").Description("A note kept with the answer.");
        Field<IsoDateTimeGraphType>("start").Description("With end and TENTATIVE: a counter-proposal.");
        Field<IsoDateTimeGraphType>("end").Description("With start and TENTATIVE: the counter-proposal's end.");
        MutationInputs.ClientMutationId(this);
    }
}

// Each payload declares the errors its mutation can return beyond those every mutation can (MutationErrors.EveryMutation).
public sealed class BookAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("BookAppointmentPayload", "appointment",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.SlotUnavailable, SchedulingErrorCode.BookingRule);

public sealed class HoldSlotsPayloadType() : PayloadGraphType<AppointmentType, Appointment>("HoldSlotsPayload", "appointment",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.SlotUnavailable, SchedulingErrorCode.BookingRule);

public sealed class ConfirmAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("ConfirmAppointmentPayload", "appointment",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.InvalidTransition, SchedulingErrorCode.SlotUnavailable);

public sealed class CancelAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("CancelAppointmentPayload", "appointment",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.InvalidTransition, SchedulingErrorCode.BookingRule);

public sealed class RescheduleAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("RescheduleAppointmentPayload", "appointment",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.InvalidTransition, SchedulingErrorCode.SlotUnavailable, SchedulingErrorCode.BookingRule);

public sealed class ChangeAppointmentStatusPayloadType() : PayloadGraphType<AppointmentType, Appointment>("ChangeAppointmentStatusPayload", "appointment",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.InvalidTransition);

public sealed class RespondToAppointmentPayloadType : PayloadBaseGraphType<AppointmentAnswer>
{
    public RespondToAppointmentPayloadType()
        : base("RespondToAppointmentPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.InvalidTransition, SchedulingErrorCode.SlotUnavailable, SchedulingErrorCode.BookingRule)
    {
        Field<AppointmentType>("appointment").Description("The appointment after the answer; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Appointment);
        Field<AppointmentResponseType>("response").Description("The answer as recorded; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Response);
    }
}

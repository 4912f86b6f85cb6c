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
            .Argument<NonNullGraphType<BookAppointmentInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<BookAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<BookHandler>(c).BookAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<HoldSlotsPayloadType>>("holdSlots")
            .Description("Holds slots for a while: appointment PENDING, slots BUSY_TENTATIVE until confirmed, cancelled or expired.")
            .Argument<NonNullGraphType<HoldSlotsInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<HoldSlotsInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<HoldHandler>(c).HoldAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<ConfirmAppointmentPayloadType>>("confirmAppointment")
            .Description("Turns a standing hold into a booking.")
            .Argument<NonNullGraphType<ConfirmAppointmentInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<AppointmentIdInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<ConfirmHandler>(c).ConfirmAsync(input.AppointmentId, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<CancelAppointmentPayloadType>>("cancelAppointment")
            .Description("Cancels a booked, held or proposed appointment and frees its slots.")
            .Argument<NonNullGraphType<CancelAppointmentInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CancelAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<CancelHandler>(c).CancelAsync(input.AppointmentId, input.Reason, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<RescheduleAppointmentPayloadType>>("rescheduleAppointment")
            .Description("Moves an appointment to other slots, taking the new and freeing the old as one change.")
            .Argument<NonNullGraphType<RescheduleAppointmentInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<RescheduleAppointmentInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<RescheduleHandler>(c).RescheduleAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<ChangeAppointmentStatusPayloadType>>("changeAppointmentStatus")
            .Description("Check-in, arrival, fulfilment or no-show: BOOKED → CHECKED_IN → ARRIVED → FULFILLED, BOOKED → NOSHOW; no-show and fulfilment from the start on, check-in and arrival from Booking:CheckInMinutesBeforeStart before it.")
            .Argument<NonNullGraphType<ChangeAppointmentStatusInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<ChangeAppointmentStatusInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<StatusChangeHandler>(c).ChangeStatusAsync(input.AppointmentId, input.Status, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<RespondToAppointmentPayloadType>>("respondToAppointment")
            .Description("A participant's answer: accept, decline, or tentative with a new time (a counter-proposal). BOOKED while every required participant has accepted: a required participant's TENTATIVE or NEEDS_ACTION puts a BOOKED appointment back to PENDING, its slots BUSY_TENTATIVE.")
            .Argument<NonNullGraphType<RespondToAppointmentInputType>>("input")
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
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds")
            .Description("Contiguous slots of one schedule, or the slotIds of an availability option.");
        Field<NonNullGraphType<IdGraphType>>("patientId");
        Field<IdGraphType>("practitionerId").Description("Default: the schedule's practitioner.");
        Field<StringGraphType>("serviceType").Description("Default: the slot's service type.");
        Field<StringGraphType>("reason");
        Field<StringGraphType>("comment");
        Field<StringGraphType>("clientMutationId").Description("Retrying with the same value returns the same appointment.");
    }
}

public sealed class HoldSlotsInputType : InputObjectGraphType<HoldSlotsInput>
{
    public HoldSlotsInputType()
    {
        Name = "HoldSlotsInput";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds");
        Field<NonNullGraphType<IdGraphType>>("patientId");
        Field<IdGraphType>("practitionerId");
        Field<IntGraphType>("holdMinutes").Description("How long the hold stands (default from settings).");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class ConfirmAppointmentInputType : InputObjectGraphType<AppointmentIdInput>
{
    public ConfirmAppointmentInputType()
    {
        Name = "ConfirmAppointmentInput";
        Field<NonNullGraphType<IdGraphType>>("appointmentId");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class CancelAppointmentInputType : InputObjectGraphType<CancelAppointmentInput>
{
    public CancelAppointmentInputType()
    {
        Name = "CancelAppointmentInput";
        Field<NonNullGraphType<IdGraphType>>("appointmentId");
        Field<NonNullGraphType<StringGraphType>>("reason");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class RescheduleAppointmentInputType : InputObjectGraphType<RescheduleAppointmentInput>
{
    public RescheduleAppointmentInputType()
    {
        Name = "RescheduleAppointmentInput";
        Field<NonNullGraphType<IdGraphType>>("appointmentId");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class ChangeAppointmentStatusInputType : InputObjectGraphType<ChangeAppointmentStatusInput>
{
    public ChangeAppointmentStatusInputType()
    {
        Name = "ChangeAppointmentStatusInput";
        Field<NonNullGraphType<IdGraphType>>("appointmentId");
        Field<NonNullGraphType<AppointmentStatusType>>("status");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class RespondToAppointmentInputType : InputObjectGraphType<RespondToAppointmentInput>
{
    public RespondToAppointmentInputType()
    {
        Name = "RespondToAppointmentInput";
        Field<NonNullGraphType<IdGraphType>>("appointmentId");
        Field<NonNullGraphType<StringGraphType>>("actorId").Description("The answering participant: Practitioner/1, Patient/2, ...");
        Field<NonNullGraphType<ParticipationStatusType>>("participantStatus");
        Field<StringGraphType>("comment");
        Field<IsoDateTimeGraphType>("start").Description("With end and TENTATIVE: a counter-proposal.");
        Field<IsoDateTimeGraphType>("end");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class BookAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("BookAppointmentPayload", "appointment");

public sealed class HoldSlotsPayloadType() : PayloadGraphType<AppointmentType, Appointment>("HoldSlotsPayload", "appointment");

public sealed class ConfirmAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("ConfirmAppointmentPayload", "appointment");

public sealed class CancelAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("CancelAppointmentPayload", "appointment");

public sealed class RescheduleAppointmentPayloadType() : PayloadGraphType<AppointmentType, Appointment>("RescheduleAppointmentPayload", "appointment");

public sealed class ChangeAppointmentStatusPayloadType() : PayloadGraphType<AppointmentType, Appointment>("ChangeAppointmentStatusPayload", "appointment");

public sealed class RespondToAppointmentPayloadType : PayloadBaseGraphType<AppointmentAnswer>
{
    public RespondToAppointmentPayloadType()
        : base("RespondToAppointmentPayload")
    {
        Field<AppointmentType>("appointment").Resolve(c => c.Source.Result?.Appointment);
        Field<AppointmentResponseType>("response").Resolve(c => c.Source.Result?.Response);
    }
}

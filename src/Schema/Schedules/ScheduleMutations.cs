using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Slots;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Schedules;

public static class ScheduleMutations
{
    public static void AddTo(ObjectGraphType mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        mutation.Field<NonNullGraphType<CreateSchedulePayloadType>>("createSchedule")
            .Description("Creates an active schedule for practitioners, locations or services; a practitioner creates only their own.")
            .Argument<NonNullGraphType<CreateScheduleInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CreateScheduleInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Management(c).CreateScheduleAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<SetAvailabilityPayloadType>>("setAvailability")
            .Description("Sets a schedule's recurring availability; free times are then computed from it (see Query.availability).")
            .Argument<NonNullGraphType<SetAvailabilityInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<SetAvailabilityInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Management(c).SetAvailabilityAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<SetBookingLimitsPayloadType>>("setBookingLimits")
            .Description("Sets a schedule's cutoffs and caps (notice to cancel or reschedule, bookings per practitioner per day and week); a null one falls back to the gateway's setting. For those who manage the schedule.")
            .Argument<NonNullGraphType<SetBookingLimitsInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<SetBookingLimitsInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Management(c).SetBookingLimitsAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<CreateSlotsPayloadType>>("createSlots")
            .Description("Generates free slots from a rule over a date range, e.g. 30-minute slots 09:00–17:00 Monday to Friday; skips times that have a slot.")
            .Argument<NonNullGraphType<CreateSlotsInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CreateSlotsInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => Handler<CreateSlotsHandler>(c).CreateSlotsAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<BlockTimePayloadType>>("blockTime")
            .Description("Makes a time range unavailable (BUSY_UNAVAILABLE); refused while a booking stands in it.")
            .Argument<NonNullGraphType<BlockTimeInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<BlockTimeInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<BlockHandler>(c).BlockAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<UnblockTimePayloadType>>("unblockTime")
            .Description("Removes a block made by blockTime and frees the slots it covered that no other block covers.")
            .Argument<NonNullGraphType<UnblockTimeInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<SlotIdInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<UnblockHandler>(c).UnblockAsync(input.SlotId, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<DeleteSlotsPayloadType>>("deleteSlots")
            .Description("Deletes free slots that no appointment (cancelled ones included) points to.")
            .Argument<NonNullGraphType<DeleteSlotsInputType>>("input", MutationInputs.InputDescription)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<SlotIdsInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<DeleteSlotsHandler>(c).DeleteAsync(input.SlotIds, c.CancellationToken));
            });
    }

    private static ScheduleManagement Management(IResolveFieldContext context) => Handler<ScheduleManagement>(context);

    private static T Handler<T>(IResolveFieldContext context)
        where T : notnull => context.RequestServices!.GetRequiredService<T>();
}

public sealed class DayOfWeekType : EnumerationGraphType<DayOfWeek>
{
    public DayOfWeekType()
    {
        Name = "DayOfWeek";
        Description = "A day of the week, in the schedule's time zone.";
        foreach (var value in Values)
        {
            value.Description = char.ToUpperInvariant(value.Name[0]) + value.Name[1..].ToLowerInvariant() + ".";
        }
    }
}

public sealed class PeriodInputType : InputObjectGraphType<PeriodInput>
{
    public PeriodInputType()
    {
        Name = "PeriodInput";
        Description = "A span of time; either end may be open.";
        Field<IsoDateTimeGraphType>("start").Description("Where it starts; open when null.");
        Field<IsoDateTimeGraphType>("end").Description("Where it ends; open when null.");
    }
}

public sealed class CreateScheduleInputType : InputObjectGraphType<CreateScheduleInput>
{
    public CreateScheduleInputType()
    {
        Name = "CreateScheduleInput";
        Description = "The schedule createSchedule creates: whose it is, what it offers, and when.";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("actorIds").Description("The actors' global ids (or FHIR references Practitioner/1, Location/2, ...).");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("serviceTypes").Description("Codes, or system|code.");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("specialties").Description("Specialty codes, or system|code.");
        Field<PeriodInputType>("planningHorizon").Description("No slots or bookings outside it.");
        Field<StringGraphType>("comment").Description("A note on the schedule.");
        Field<StringGraphType>("timeZone").Description("IANA time zone, e.g. America/New_York.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class AvailableTimeInputType : InputObjectGraphType<AvailableTimeInput>
{
    public AvailableTimeInputType()
    {
        Name = "AvailableTimeInput";
        Description = "A weekly window of availability, in wall-clock times of the schedule's time zone.";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayOfWeekType>>>>("daysOfWeek").Description("The days the window recurs on.");
        Field<NonNullGraphType<StringGraphType>>("startTime").Description("Wall-clock time, e.g. 09:00.");
        Field<NonNullGraphType<StringGraphType>>("endTime").Description("Wall-clock time, e.g. 17:00.");
    }
}

public sealed class NotAvailableInputType : InputObjectGraphType<NotAvailableInput>
{
    public NotAvailableInputType()
    {
        Name = "NotAvailableInput";
        Description = "A period the weekly availability does not apply to, e.g. a holiday.";
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("Where it starts.");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("Where it ends (after start).");
        Field<StringGraphType>("description").Description("Why, in words.");
    }
}

public sealed class SetAvailabilityInputType : InputObjectGraphType<SetAvailabilityInput>
{
    public SetAvailabilityInputType()
    {
        Name = "SetAvailabilityInput";
        Description = "A schedule's recurring availability, for setAvailability; it replaces the one set before.";
        Field<NonNullGraphType<IdGraphType>>("scheduleId").Description("The schedule whose availability this is.");
        Field<NonNullGraphType<StringGraphType>>("timeZone").Description("IANA time zone the wall-clock times are in.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AvailableTimeInputType>>>>("availableTimes").Description("The weekly windows.");
        Field<ListGraphType<NonNullGraphType<NotAvailableInputType>>>("notAvailable").Description("Periods the windows do not apply to.");
        Field<NonNullGraphType<IntGraphType>>("slotMinutes").Description("Length of an offered time, 5 to 480 minutes.");
        Field<IntGraphType>("bufferBeforeMinutes").Description("Free time needed before a booking.");
        Field<IntGraphType>("bufferAfterMinutes").Description("Free time needed after a booking.");
        Field<IntGraphType>("alignmentMinutes").Description("Offered times start on this step from the window's start (default: slotMinutes).");
        Field<IntGraphType>("capacity").Description($"Seats of each offered time (a group visit), 1 to {SlotSeats.MaxCapacity}; default 1. The slot a booking makes from the rule carries it.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class SetBookingLimitsInputType : InputObjectGraphType<SetBookingLimitsInput>
{
    public SetBookingLimitsInputType()
    {
        Name = "SetBookingLimitsInput";
        Description = "A schedule's cutoffs and caps, for setBookingLimits; null: the gateway's setting applies, 0: none.";
        Field<NonNullGraphType<IdGraphType>>("scheduleId").Description("The schedule the limits are for.");
        Field<IntGraphType>("cancelNoticeMinutes").Description("A patient or practitioner cancels only this long before the start (schedulers and admins are exempt).");
        Field<IntGraphType>("rescheduleNoticeMinutes").Description("A patient or practitioner moves an appointment only this long before its start (schedulers and admins are exempt).");
        Field<IntGraphType>("maxBookingsPerDay").Description("Bookings each practitioner of the schedule takes per local day.");
        Field<IntGraphType>("maxBookingsPerWeek").Description("Bookings each practitioner of the schedule takes per local week (Monday to Sunday).");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class CreateSlotsInputType : InputObjectGraphType<CreateSlotsInput>
{
    public CreateSlotsInputType()
    {
        Name = "CreateSlotsInput";
        Description = "The slots createSlots generates: a weekly rule over a range of days.";
        Field<NonNullGraphType<IdGraphType>>("scheduleId").Description("The schedule the slots belong to.");
        Field<NonNullGraphType<StringGraphType>>("from").Description("First day, YYYY-MM-DD.");
        Field<NonNullGraphType<StringGraphType>>("to").Description("Last day (inclusive), YYYY-MM-DD.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayOfWeekType>>>>("daysOfWeek").Description("The days slots are generated on.");
        Field<NonNullGraphType<StringGraphType>>("startTime").Description("Wall-clock time the first slot of a day starts, e.g. 09:00.");
        Field<NonNullGraphType<StringGraphType>>("endTime").Description("Wall-clock time the last slot of a day ends by, e.g. 17:00.");
        Field<NonNullGraphType<IntGraphType>>("slotMinutes").Description("Length of each slot, 5 to 480 minutes.");
        Field<StringGraphType>("timeZone").Description("Default: the schedule's time zone, else UTC.");
        Field<IntGraphType>("capacity").Description($"Seats of each slot (a group visit, a vaccination clinic), 1 to {SlotSeats.MaxCapacity}; default 1. A slot with seats stays FREE until its last is taken.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class BlockTimeInputType : InputObjectGraphType<BlockTimeInput>
{
    public BlockTimeInputType()
    {
        Name = "BlockTimeInput";
        Description = "The time blockTime makes unavailable on a schedule.";
        Field<NonNullGraphType<IdGraphType>>("scheduleId").Description("The schedule blocked.");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("Where the block starts.");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("Where the block ends (after start).");
        Field<StringGraphType>("comment").Description("Why, e.g. Training; kept on the block.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class UnblockTimeInputType : InputObjectGraphType<SlotIdInput>
{
    public UnblockTimeInputType()
    {
        Name = "UnblockTimeInput";
        Description = "The block unblockTime removes.";
        Field<NonNullGraphType<IdGraphType>>("slotId").Description("The slot blockTime returned.");
        MutationInputs.ClientMutationId(this);
    }
}

public sealed class DeleteSlotsInputType : InputObjectGraphType<SlotIdsInput>
{
    public DeleteSlotsInputType()
    {
        Name = "DeleteSlotsInput";
        Description = "The slots deleteSlots deletes.";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds").Description("Free slots that no appointment points to.");
        MutationInputs.ClientMutationId(this);
    }
}

// Each payload declares the errors its mutation can return beyond those every mutation can (MutationErrors.EveryMutation).
public sealed class CreateSchedulePayloadType() : PayloadGraphType<ScheduleType, Schedule>("CreateSchedulePayload", "schedule",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound);

public sealed class SetBookingLimitsPayloadType() : PayloadGraphType<ScheduleType, Schedule>("SetBookingLimitsPayload", "schedule",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound);

public sealed class SetAvailabilityPayloadType() : PayloadGraphType<ScheduleType, Schedule>("SetAvailabilityPayload", "schedule",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound);

public sealed class BlockTimePayloadType() : PayloadGraphType<SlotType, Slot>("BlockTimePayload", "slot",
    SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound);

public sealed class CreateSlotsPayloadType : PayloadBaseGraphType<CreatedSlots>
{
    public CreateSlotsPayloadType()
        : base("CreateSlotsPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound)
    {
        Field<IntGraphType>("count").Description("How many slots were created.").Resolve(c => c.Source.Result?.Created);
        Field<IntGraphType>("skipped").Description("Times skipped because a slot already covers them.").Resolve(c => c.Source.Result?.Skipped);
        Field<ListGraphType<NonNullGraphType<SlotType>>>("slots").Description("The slots created; null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Slots);
    }
}

public sealed class DeleteSlotsPayloadType : PayloadBaseGraphType<IReadOnlyList<string>>
{
    public DeleteSlotsPayloadType()
        : base("DeleteSlotsPayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound, SchedulingErrorCode.SlotUnavailable) =>
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("deletedSlotIds").Description("The slots deleted (global ids); null when errors stopped the mutation.").Resolve(c => c.Source.Result?.Select(id => GlobalId.Encode("Slot", id)));
}

public sealed class UnblockTimePayloadType : PayloadBaseGraphType<IReadOnlyList<string>>
{
    public UnblockTimePayloadType()
        : base("UnblockTimePayload", SchedulingErrorCode.ValidationFailed, SchedulingErrorCode.NotFound) =>
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("freedSlotIds").Description("Slots the block had made unavailable, free again (global ids).").Resolve(c => c.Source.Result?.Select(id => GlobalId.Encode("Slot", id)));
}

using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Slots;

namespace Scheduling.Schema.Schedules;

public static class ScheduleMutations
{
    public static void AddTo(ObjectGraphType mutation)
    {
        ArgumentNullException.ThrowIfNull(mutation);
        mutation.Field<NonNullGraphType<CreateSchedulePayloadType>>("createSchedule")
            .Argument<NonNullGraphType<CreateScheduleInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CreateScheduleInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Management(c).CreateScheduleAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<SetAvailabilityPayloadType>>("setAvailability")
            .Description("Sets a schedule's recurring availability; free times are then computed from it (see Query.availability).")
            .Argument<NonNullGraphType<SetAvailabilityInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<SetAvailabilityInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Management(c).SetAvailabilityAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<CreateSlotsPayloadType>>("createSlots")
            .Description("Generates free slots from a rule over a date range, e.g. 30-minute slots 09:00–17:00 Monday to Friday; skips times that have a slot.")
            .Argument<NonNullGraphType<CreateSlotsInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CreateSlotsInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId,
                    () => Handler<CreateSlotsHandler>(c).CreateSlotsAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<BlockTimePayloadType>>("blockTime")
            .Description("Makes a time range unavailable (BUSY_UNAVAILABLE); refused while a booking stands in it.")
            .Argument<NonNullGraphType<BlockTimeInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<BlockTimeInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<BlockHandler>(c).BlockAsync(input, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<UnblockTimePayloadType>>("unblockTime")
            .Description("Removes a block made by blockTime and frees the slots it covered that no other block covers.")
            .Argument<NonNullGraphType<UnblockTimeInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<SlotIdInput>("input");
                return await Mutations.RunAsync(c, input.ClientMutationId, () => Handler<UnblockHandler>(c).UnblockAsync(input.SlotId, c.CancellationToken));
            });

        mutation.Field<NonNullGraphType<DeleteSlotsPayloadType>>("deleteSlots")
            .Description("Deletes free slots that no appointment (cancelled ones included) points to.")
            .Argument<NonNullGraphType<DeleteSlotsInputType>>("input")
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
    public DayOfWeekType() => Name = "DayOfWeek";
}

public sealed class PeriodInputType : InputObjectGraphType<PeriodInput>
{
    public PeriodInputType()
    {
        Name = "PeriodInput";
        Field<IsoDateTimeGraphType>("start");
        Field<IsoDateTimeGraphType>("end");
    }
}

public sealed class CreateScheduleInputType : InputObjectGraphType<CreateScheduleInput>
{
    public CreateScheduleInputType()
    {
        Name = "CreateScheduleInput";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("actorIds").Description("References: Practitioner/1, Location/2, ...");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("serviceTypes").Description("Codes, or system|code.");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("specialties");
        Field<PeriodInputType>("planningHorizon").Description("No slots or bookings outside it.");
        Field<StringGraphType>("comment");
        Field<StringGraphType>("timeZone").Description("IANA time zone, e.g. America/New_York.");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class AvailableTimeInputType : InputObjectGraphType<AvailableTimeInput>
{
    public AvailableTimeInputType()
    {
        Name = "AvailableTimeInput";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayOfWeekType>>>>("daysOfWeek");
        Field<NonNullGraphType<StringGraphType>>("startTime").Description("Wall-clock time, e.g. 09:00.");
        Field<NonNullGraphType<StringGraphType>>("endTime").Description("Wall-clock time, e.g. 17:00.");
    }
}

public sealed class NotAvailableInputType : InputObjectGraphType<NotAvailableInput>
{
    public NotAvailableInputType()
    {
        Name = "NotAvailableInput";
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end");
        Field<StringGraphType>("description");
    }
}

public sealed class SetAvailabilityInputType : InputObjectGraphType<SetAvailabilityInput>
{
    public SetAvailabilityInputType()
    {
        Name = "SetAvailabilityInput";
        Field<NonNullGraphType<IdGraphType>>("scheduleId");
        Field<NonNullGraphType<StringGraphType>>("timeZone").Description("IANA time zone the wall-clock times are in.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AvailableTimeInputType>>>>("availableTimes");
        Field<ListGraphType<NonNullGraphType<NotAvailableInputType>>>("notAvailable");
        Field<NonNullGraphType<IntGraphType>>("slotMinutes");
        Field<IntGraphType>("bufferBeforeMinutes").Description("Free time needed before a booking.");
        Field<IntGraphType>("bufferAfterMinutes").Description("Free time needed after a booking.");
        Field<IntGraphType>("alignmentMinutes").Description("Offered times start on this step from the window's start (default: slotMinutes).");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class CreateSlotsInputType : InputObjectGraphType<CreateSlotsInput>
{
    public CreateSlotsInputType()
    {
        Name = "CreateSlotsInput";
        Field<NonNullGraphType<IdGraphType>>("scheduleId");
        Field<NonNullGraphType<StringGraphType>>("from").Description("First day, YYYY-MM-DD.");
        Field<NonNullGraphType<StringGraphType>>("to").Description("Last day (inclusive), YYYY-MM-DD.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DayOfWeekType>>>>("daysOfWeek");
        Field<NonNullGraphType<StringGraphType>>("startTime");
        Field<NonNullGraphType<StringGraphType>>("endTime");
        Field<NonNullGraphType<IntGraphType>>("slotMinutes");
        Field<StringGraphType>("timeZone").Description("Default: the schedule's time zone, else UTC.");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class BlockTimeInputType : InputObjectGraphType<BlockTimeInput>
{
    public BlockTimeInputType()
    {
        Name = "BlockTimeInput";
        Field<NonNullGraphType<IdGraphType>>("scheduleId");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start");
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end");
        Field<StringGraphType>("comment");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class UnblockTimeInputType : InputObjectGraphType<SlotIdInput>
{
    public UnblockTimeInputType()
    {
        Name = "UnblockTimeInput";
        Field<NonNullGraphType<IdGraphType>>("slotId").Description("The slot blockTime returned.");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class DeleteSlotsInputType : InputObjectGraphType<SlotIdsInput>
{
    public DeleteSlotsInputType()
    {
        Name = "DeleteSlotsInput";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("slotIds");
        Field<StringGraphType>("clientMutationId");
    }
}

public sealed class CreateSchedulePayloadType() : PayloadGraphType<ScheduleType, Schedule>("CreateSchedulePayload", "schedule");

public sealed class SetAvailabilityPayloadType() : PayloadGraphType<ScheduleType, Schedule>("SetAvailabilityPayload", "schedule");

public sealed class BlockTimePayloadType() : PayloadGraphType<SlotType, Slot>("BlockTimePayload", "slot");

public sealed class CreateSlotsPayloadType : PayloadBaseGraphType<CreatedSlots>
{
    public CreateSlotsPayloadType()
        : base("CreateSlotsPayload")
    {
        Field<IntGraphType>("count").Description("How many slots were created.").Resolve(c => c.Source.Result?.Created);
        Field<IntGraphType>("skipped").Description("Times skipped because a slot already covers them.").Resolve(c => c.Source.Result?.Skipped);
        Field<ListGraphType<NonNullGraphType<SlotType>>>("slots").Resolve(c => c.Source.Result?.Slots);
    }
}

public sealed class DeleteSlotsPayloadType : PayloadBaseGraphType<IReadOnlyList<string>>
{
    public DeleteSlotsPayloadType()
        : base("DeleteSlotsPayload") =>
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("deletedSlotIds").Resolve(c => c.Source.Result);
}

public sealed class UnblockTimePayloadType : PayloadBaseGraphType<IReadOnlyList<string>>
{
    public UnblockTimePayloadType()
        : base("UnblockTimePayload") =>
        Field<ListGraphType<NonNullGraphType<IdGraphType>>>("freedSlotIds").Description("Slots the block had made unavailable, free again.").Resolve(c => c.Source.Result);
}

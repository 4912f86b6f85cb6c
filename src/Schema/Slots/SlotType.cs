using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.DataLoading;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Slots;

public sealed class SlotStatusType : EnumerationGraphType<Slot.SlotStatus>
{
    public SlotStatusType()
    {
        Name = "SlotStatus";
        Description = "Whether a slot can be booked (FHIR slotstatus).";
        this.DescribeValues(
            ("BUSY", "Taken by an appointment."),
            ("FREE", "Open: it can be booked."),
            ("BUSY_UNAVAILABLE", "Blocked (blockTime): it cannot be booked."),
            ("BUSY_TENTATIVE", "Held (holdSlots) until the hold is confirmed, cancelled or expires."),
            ("ENTERED_IN_ERROR", "Made in error; to be ignored."));
    }
}

public sealed class SlotType : ObjectGraphType<Slot>
{
    /// <summary>A one-seat slot's from its status (no read); a slot with seats counts who sits on it, one batched search per request.</summary>
    private static object? SeatsLeft(GraphQL.IResolveFieldContext<Slot> c)
    {
        var slot = c.Source;
        if (slot.Status is not (Slot.SlotStatus.Free or Slot.SlotStatus.Busy or Slot.SlotStatus.BusyTentative))
        {
            return 0;
        }

        if (!SlotSeats.IsShared(slot) || slot.Id is null)
        {
            return slot.Status == Slot.SlotStatus.Free ? 1 : 0;
        }

        var now = c.RequestServices!.GetRequiredService<TimeProvider>().GetUtcNow();
        return c.Referencing().Load<Appointment>(AppointmentSearches.Holding(), AppointmentSearches.SlotParameter, FhirReference.For<Slot>(slot.Id))
            .Then(holders => SlotSeats.SeatsLeft(slot, holders, now));
    }

    public SlotType()
    {
        Name = "Slot";
        Description = "A span of time on a schedule that can be booked (FREE) or is taken or blocked.";
        this.AddNodeIdentity();
        Field<NonNullGraphType<StringGraphType>>("versionId").NotFhirElement()
            .Description("The FHIR version of this slot; changes on every update.")
            .Resolve(c => c.Source.Meta?.VersionId ?? string.Empty);
        Field<NonNullGraphType<ScheduleType>>("schedule").Description("The schedule the slot belongs to.").Resolve(c => c.ById().Load<Schedule>(c.Source.Schedule));
        Field<NonNullGraphType<SlotStatusType>>("status").Description("Whether it can be booked.").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("start").Description("When it starts.").Resolve(c => c.Source.Start);
        Field<NonNullGraphType<IsoDateTimeGraphType>>("end").Description("When it ends.").Resolve(c => c.Source.End);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("serviceType").Description("The services that can be booked in it.").Resolve(c => c.Source.ServiceType);
        Field<CodeableConceptType>("appointmentType").Description("The kind of appointment it is for.").Resolve(c => c.Source.AppointmentType);
        Field<BooleanGraphType>("overbooked").Description("Whether it may hold more appointments than it was meant to: one booking beyond its capacity, by a scheduler or an admin.").Resolve(c => c.Source.Overbooked);
        Field<NonNullGraphType<IntGraphType>>("capacity").NotFhirElement()
            .Description("How many appointments it takes at once (a group visit's seats); 1 unless the slot or its schedule's rule says more. FREE while a seat is left.")
            .Resolve(c => SlotSeats.Capacity(c.Source));
        Field<NonNullGraphType<IntGraphType>>("seatsLeft").NotFhirElement()
            .Description("How many more appointments it takes: its capacity less the standing appointments on it (an expired hold holds no seat); 0 when blocked. An overbooked slot's one extra booking is not counted.")
            .Resolve(SeatsLeft);
        Field<StringGraphType>("comment").Description("A note about the slot, e.g. why it is blocked.").Resolve(c => c.Source.Comment);
        Field<NonNullGraphType<ConnectionGraphType<AppointmentType, Appointment>>>("appointments")
            .Description("Appointments on this slot.")
            .ResolveAppointmentsOf(AppointmentSearches.SlotParameter);
    }
}

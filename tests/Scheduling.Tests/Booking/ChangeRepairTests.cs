using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Tests.Booking;

/// <summary>The repair of an interrupted change (<see cref="ChangeRepair.Decide"/>), decided from fresh reads alone: no peer.</summary>
public sealed class ChangeRepairTests
{
    private const string Change = "c1";
    private const string OtherChange = "c2";

    [Fact]
    public void A_busy_slot_the_change_wrote_without_any_appointment_is_freed()
    {
        var slot = NewSlot("s1", SlotStatus.Busy, Change);

        var plan = ChangeRepair.Decide(Change, [slot], [], []);

        Assert.Empty(plan.Cancel);
        Assert.Equal("s1", Assert.Single(plan.Free).Id);
    }

    [Fact]
    public void A_tentative_slot_the_change_wrote_without_its_hold_is_freed()
    {
        var plan = ChangeRepair.Decide(Change, [NewSlot("s1", SlotStatus.BusyTentative, Change)], [], []);

        Assert.Single(plan.Free);
    }

    [Fact]
    public void A_change_that_got_everything_written_is_left_as_it_is()
    {
        var slots = new[] { NewSlot("s1", SlotStatus.Busy, Change), NewSlot("s2", SlotStatus.Busy, Change) };
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, Change, "s1", "s2");

        var plan = ChangeRepair.Decide(Change, slots, [appointment], [appointment]);

        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void An_appointment_whose_slots_are_not_all_taken_is_cancelled_and_its_busy_slots_freed()
    {
        // The second slot's write never landed (or was undone): the appointment must not stand on a free slot.
        var slots = new[] { NewSlot("s1", SlotStatus.Busy, Change), NewSlot("s2", SlotStatus.Free, null) };
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, Change, "s1", "s2");

        var plan = ChangeRepair.Decide(Change, slots, [appointment], [appointment]);

        Assert.Equal("a1", Assert.Single(plan.Cancel).Id);
        Assert.Equal("s1", Assert.Single(plan.Free).Id);
    }

    [Fact]
    public void An_appointment_whose_slot_is_gone_is_cancelled()
    {
        var appointment = NewAppointment("a1", AppointmentStatus.Pending, Change, "gone");

        var plan = ChangeRepair.Decide(Change, [], [appointment], []);

        Assert.Single(plan.Cancel);
    }

    [Fact]
    public void A_slot_another_appointment_holds_is_not_freed()
    {
        var slot = NewSlot("s1", SlotStatus.Busy, Change);
        var other = NewAppointment("a2", AppointmentStatus.Booked, OtherChange, "s1");

        Assert.True(ChangeRepair.Decide(Change, [slot], [], [other]).IsEmpty);
    }

    [Theory]
    [InlineData(AppointmentStatus.Noshow)]
    [InlineData(AppointmentStatus.Fulfilled)]
    [InlineData(AppointmentStatus.Arrived)]
    public void A_slot_whose_time_was_used_stays_busy(AppointmentStatus status)
    {
        var slot = NewSlot("s1", SlotStatus.Busy, Change);
        var used = NewAppointment("a1", status, null, "s1");

        Assert.True(ChangeRepair.Decide(Change, [slot], [], [used]).IsEmpty);
    }

    [Fact]
    public void A_cancellation_interrupted_before_its_slots_were_freed_gets_them_freed()
    {
        var slot = NewSlot("s1", SlotStatus.Busy, OtherChange);
        var cancelled = NewAppointment("a1", AppointmentStatus.Cancelled, Change, "s1");
        var slotWrittenByTheCancel = NewSlot("s2", SlotStatus.Busy, Change);
        var cancelledToo = NewAppointment("a1", AppointmentStatus.Cancelled, Change, "s2");

        Assert.True(ChangeRepair.Decide(Change, [slot], [cancelled], [cancelled]).IsEmpty); // s1 is not this change's
        Assert.Equal("s2", Assert.Single(ChangeRepair.Decide(Change, [slotWrittenByTheCancel], [cancelledToo], [cancelledToo]).Free).Id);
    }

    [Fact]
    public void What_another_change_wrote_since_is_not_touched()
    {
        var slot = NewSlot("s1", SlotStatus.Busy, OtherChange);
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, OtherChange, "s9");

        Assert.True(ChangeRepair.Decide(Change, [slot], [appointment], []).IsEmpty);
    }

    [Fact]
    public void Tagging_replaces_an_earlier_change_and_untagging_removes_it()
    {
        var slot = NewSlot("s1", SlotStatus.Free, OtherChange);
        slot.Meta!.Tag.Add(new Coding(GatewayProfile.TagSystem, GatewayProfile.HoldTag));

        var tagged = (Slot)ChangeIntent.Tag(FhirWrite.Update(slot, slot), Change).Resource;

        Assert.True(ChangeIntent.IsTaggedBy(tagged, Change));
        Assert.False(ChangeIntent.IsTaggedBy(tagged, OtherChange));
        Assert.False(ChangeIntent.IsTaggedBy(slot, Change)); // the write's own copy, not the resource read
        var untagged = ChangeIntent.Untagged(tagged);
        Assert.False(ChangeIntent.IsTaggedBy(untagged, Change));
        Assert.Contains(untagged.Meta!.Tag, t => t.Code == GatewayProfile.HoldTag);
    }

    [Fact]
    public void The_grace_period_must_outlast_a_change_and_its_undo()
    {
        var options = new ChangeSafetyOptions { WriteSeconds = 30, RepairGraceSeconds = 60 };

        Assert.NotEmpty(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
        options.RepairGraceSeconds = 61;
        Assert.Empty(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
    }

    private static Slot NewSlot(string id, SlotStatus status, string? change) => new()
    {
        Id = id,
        Status = status,
        Meta = new Meta { VersionId = "1", Tag = change is null ? [] : [new Coding(GatewayProfile.ChangeTagSystem, change)] },
    };

    private static Appointment NewAppointment(string id, AppointmentStatus status, string? change, params string[] slotIds) => new()
    {
        Id = id,
        Status = status,
        Slot = [.. slotIds.Select(s => new ResourceReference("Slot/" + s))],
        Meta = new Meta { VersionId = "1", Tag = change is null ? [] : [new Coding(GatewayProfile.ChangeTagSystem, change)] },
    };
}

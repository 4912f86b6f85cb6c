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

        var plan = Decide([slot], [], [], Book("s1"));

        Assert.Empty(plan.Cancel);
        Assert.Equal("s1", Assert.Single(plan.Free).Id);
    }

    [Fact]
    public void A_tentative_slot_the_change_wrote_without_its_hold_is_freed()
    {
        var plan = Decide([NewSlot("s1", SlotStatus.BusyTentative, Change)], [], [], Book("s1"));

        Assert.Single(plan.Free);
    }

    [Fact]
    public void A_booking_whose_last_guard_claim_landed_is_kept()
    {
        var slots = new[] { NewSlot("s1", SlotStatus.Busy, Change), NewSlot("s2", SlotStatus.Busy, Change) };
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, Change, "s1", "s2");

        var state = State(slots, [appointment], [appointment], Book("s1", "s2"), lastWritten: [Guard("g2", Change)]);

        Assert.True(ChangeRepair.Finished(state));
        Assert.True(ChangeRepair.Decide(state).IsEmpty);
    }

    [Fact]
    public void A_booking_killed_before_its_guard_claims_is_undone_though_its_slots_are_all_taken()
    {
        // Appointment and slots landed, the guards were never claimed: a rival that read them unclaimed may hold the
        // same time, and the caller never heard of a success.
        var slots = new[] { NewSlot("s1", SlotStatus.Busy, Change), NewSlot("s2", SlotStatus.Busy, Change) };
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, Change, "s1", "s2");

        var plan = Decide(slots, [appointment], [appointment], Book("s1", "s2"), lastWritten: [Guard("g2", OtherChange)]);

        Assert.Equal("a1", Assert.Single(plan.Cancel).Id);
        Assert.Equal(["s1", "s2"], plan.Free.Select(s => s.Id).Order());
    }

    [Fact]
    public void A_change_whose_last_write_was_a_create_that_landed_is_kept()
    {
        var slot = NewSlot("s1", SlotStatus.Busy, Change);
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, Change, "s1");
        var response = new AppointmentResponse { Id = "r1", Meta = Tagged(Change) };
        List<PlannedWrite> respond = [new("Slot", "s1", "1"), new("Appointment", "a1", "1"), new("AppointmentResponse", null, null)];

        Assert.True(Decide([slot], [appointment], [appointment], respond, lastWritten: [response]).IsEmpty);
        Assert.False(ChangeRepair.Finished(State([slot], [appointment], [appointment], respond, lastWritten: [])));
    }

    [Fact]
    public void An_appointment_whose_slots_are_not_all_taken_is_cancelled_and_its_busy_slots_freed()
    {
        // The second slot's write never landed (or was undone): the appointment must not stand on a free slot.
        var slots = new[] { NewSlot("s1", SlotStatus.Busy, Change), NewSlot("s2", SlotStatus.Free, null) };
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, Change, "s1", "s2");

        var plan = Decide(slots, [appointment], [appointment], Book("s1", "s2"));

        Assert.Equal("a1", Assert.Single(plan.Cancel).Id);
        Assert.Equal("s1", Assert.Single(plan.Free).Id);
    }

    [Fact]
    public void An_appointment_whose_slot_is_gone_is_cancelled()
    {
        var appointment = NewAppointment("a1", AppointmentStatus.Pending, Change, "gone");

        var plan = Decide([], [appointment], [], []);

        Assert.Single(plan.Cancel);
    }

    [Fact]
    public void A_slot_another_appointment_holds_is_not_freed()
    {
        var slot = NewSlot("s1", SlotStatus.Busy, Change);
        var other = NewAppointment("a2", AppointmentStatus.Booked, OtherChange, "s1");

        Assert.True(Decide([slot], [], [other], Book("s1")).IsEmpty);
    }

    [Theory]
    [InlineData(AppointmentStatus.Noshow)]
    [InlineData(AppointmentStatus.Fulfilled)]
    [InlineData(AppointmentStatus.Arrived)]
    public void A_slot_whose_time_was_used_stays_busy(AppointmentStatus status)
    {
        var slot = NewSlot("s1", SlotStatus.Busy, Change);
        var used = NewAppointment("a1", status, null, "s1");

        Assert.True(Decide([slot], [], [used], Book("s1")).IsEmpty);
    }

    [Fact]
    public void A_cancellation_killed_after_its_appointment_write_gets_every_slot_freed()
    {
        // The slots still carry the tag of the booking that took them: the cancel died before writing them.
        var slots = new[] { NewSlot("s1", SlotStatus.Busy, OtherChange), NewSlot("s2", SlotStatus.Busy, OtherChange) };
        var cancelled = NewAppointment("a1", AppointmentStatus.Cancelled, Change, "s1", "s2");
        List<PlannedWrite> cancel = [new("Appointment", "a1", "2"), new("Slot", "s1", "1"), new("Slot", "s2", "1")];

        var plan = Decide(slots, [cancelled], [cancelled], cancel, lastWritten: [slots[1]]);

        Assert.Empty(plan.Cancel);
        Assert.Equal(["s1", "s2"], plan.Free.Select(s => s.Id).Order());
    }

    [Fact]
    public void A_reschedule_killed_after_its_appointment_write_frees_the_old_slots_and_keeps_the_new()
    {
        var fresh = NewSlot("n1", SlotStatus.Busy, Change);
        var old = NewSlot("o1", SlotStatus.Busy, OtherChange);
        var moved = NewAppointment("a1", AppointmentStatus.Booked, Change, "n1");
        List<PlannedWrite> reschedule = [new("Slot", "n1", "1"), new("Appointment", "a1", "2"), new("Slot", "o1", "1"), new("Basic", "g1", "4")];

        var plan = Decide([fresh, old], [moved], [moved], reschedule, lastWritten: [Guard("g1", null)]);

        Assert.Empty(plan.Cancel);
        Assert.Equal("o1", Assert.Single(plan.Free).Id);
    }

    /// <summary>New slot n1 taken, appointment a1 moved from o1 to n1, o1 to be freed, then the guard claim.</summary>
    private static readonly List<PlannedWrite> Reschedule = [new("Slot", "n1", "1"), new("Appointment", "a1", "2"), new("Slot", "o1", "1"), new("Basic", "g1", "4")];

    [Fact]
    public void A_reschedule_killed_before_freeing_its_old_slots_is_put_back_and_its_unguarded_new_time_given_up()
    {
        var fresh = NewSlot("n1", SlotStatus.Busy, Change);
        var old = NewSlot("o1", SlotStatus.Busy, OtherChange);
        var moved = NewAppointment("a1", AppointmentStatus.Booked, Change, "n1");
        var before = NewAppointment("a1", AppointmentStatus.Booked, null, "o1");

        var plan = Decide([fresh, old], [moved], [moved], Reschedule, lastWritten: [Guard("g1", null)], previous: [before]);

        var restore = Assert.Single(plan.Restores);
        Assert.Same(moved, restore.Current);
        Assert.Equal("Slot/o1", Assert.Single(restore.Previous.Slot).Reference);
        Assert.Empty(plan.Cancel);
        Assert.Equal("n1", Assert.Single(plan.Free).Id);
    }

    [Fact]
    public void A_reschedule_killed_after_freeing_an_old_slot_is_cancelled_for_its_old_time_may_be_taken()
    {
        var fresh = NewSlot("n1", SlotStatus.Busy, Change);
        var old = NewSlot("o1", SlotStatus.Free, Change);
        var moved = NewAppointment("a1", AppointmentStatus.Booked, Change, "n1");

        var plan = Decide([fresh, old], [moved], [moved], Reschedule, lastWritten: [Guard("g1", null)], previous: [NewAppointment("a1", AppointmentStatus.Booked, null, "o1")]);

        Assert.Empty(plan.Restores);
        Assert.Same(moved, Assert.Single(plan.Cancel));
        Assert.Equal("n1", Assert.Single(plan.Free).Id);
    }

    [Fact]
    public void A_reschedule_whose_old_slot_another_appointment_holds_is_cancelled_not_put_back()
    {
        var old = NewSlot("o1", SlotStatus.Busy, null);
        var moved = NewAppointment("a1", AppointmentStatus.Booked, Change, "n1");
        var rival = NewAppointment("a2", AppointmentStatus.Booked, null, "o1");

        var plan = Decide([NewSlot("n1", SlotStatus.Busy, Change), old], [moved], [moved, rival], Reschedule,
            previous: [NewAppointment("a1", AppointmentStatus.Booked, null, "o1")]);

        Assert.Empty(plan.Restores);
        Assert.Same(moved, Assert.Single(plan.Cancel));
        Assert.Equal("n1", Assert.Single(plan.Free).Id);
    }

    [Fact]
    public void A_finished_reschedule_and_an_update_on_the_same_slots_are_not_put_back()
    {
        var moved = NewAppointment("a1", AppointmentStatus.Booked, Change, "n1");
        var finished = Decide([NewSlot("n1", SlotStatus.Busy, Change), NewSlot("o1", SlotStatus.Free, Change)], [moved], [moved], Reschedule,
            lastWritten: [Guard("g1", Change)], previous: [NewAppointment("a1", AppointmentStatus.Booked, null, "o1")]);
        Assert.True(finished.IsEmpty);

        var confirmed = NewAppointment("a1", AppointmentStatus.Booked, Change, "s1");
        var sameSlots = Decide([NewSlot("s1", SlotStatus.Busy, Change)], [confirmed], [confirmed],
            [new("Slot", "s1", "1"), new("Appointment", "a1", "2"), new("Basic", "g1", "4")], previous: [NewAppointment("a1", AppointmentStatus.Pending, null, "s1")]);
        Assert.True(sameSlots.IsEmpty);
    }

    [Fact]
    public void An_intent_records_each_updated_appointment_as_it_was_before_without_any_change_tag()
    {
        var before = NewAppointment("a1", AppointmentStatus.Booked, OtherChange, "o1");
        var moved = NewAppointment("a1", AppointmentStatus.Booked, null, "n1");
        var slot = NewSlot("n1", SlotStatus.Free, null);
        var busy = NewSlot("n1", SlotStatus.Busy, null);

        var intent = ChangeIntent.Record(Change, DateTimeOffset.UnixEpoch, [FhirWrite.Update(slot, busy), FhirWrite.Update(before, moved), FhirWrite.Create(new Basic())]);

        // An appointment change's slots are never put back, so they are not recorded.
        var recorded = Assert.IsType<Appointment>(Assert.Single(ChangeIntent.Previous(intent)));
        Assert.Equal(("a1", "Slot/o1"), (recorded.Id, Assert.Single(recorded.Slot).Reference));
        Assert.False(ChangeIntent.IsTaggedBy(recorded, OtherChange));
        Assert.Equal(3, ChangeIntent.PlannedWrites(intent).Count);
    }

    [Fact]
    public void A_schedule_side_intent_records_each_updated_slot_as_it_was_before_but_no_guard()
    {
        var free = NewSlot("s1", SlotStatus.Free, OtherChange);
        var guard = Guard("g1", null);

        var intent = ChangeIntent.Record(Change, DateTimeOffset.UnixEpoch,
            [FhirWrite.Update(free, Marked("s1", Change)), FhirWrite.Create(new Slot()), FhirWrite.Update(guard, guard)]);

        var recorded = Assert.IsType<Slot>(Assert.Single(ChangeIntent.Previous(intent)));
        Assert.Equal(("s1", SlotStatus.Free), (recorded.Id, recorded.Status));
        Assert.False(ChangeIntent.IsTaggedBy(recorded, OtherChange));
    }

    /// <summary>blockTime: slots s1 and s2 marked, the block created, then the guard claim.</summary>
    private static readonly List<PlannedWrite> BlockTime = [new("Slot", "s1", "1"), new("Slot", "s2", "1"), new("Slot", null, null), new("Basic", "g1", "4")];

    [Fact]
    public void A_block_killed_between_its_slot_writes_gets_the_slot_it_marked_freed()
    {
        var marked = Marked("s1", Change);

        var plan = Decide([marked, NewSlot("s2", SlotStatus.Free, null)], [], [], BlockTime, previous: [Free("s1"), Free("s2")]);

        var restore = Assert.Single(plan.SlotRestores);
        Assert.Equal(("s1", SlotStatus.Free), (restore.Current.Id, restore.Target.Status));
        Assert.Same(marked, restore.Current);
        Assert.Empty(plan.Deletes);
        Assert.Empty(plan.Free);
    }

    [Fact]
    public void A_block_killed_before_its_guard_claim_is_deleted_and_its_slots_freed()
    {
        var block = Block("b1", Change);

        var plan = Decide([Marked("s1", Change), Marked("s2", Change), block], [], [], BlockTime,
            lastWritten: [Guard("g1", null)], previous: [Free("s1"), Free("s2")], blocks: [block]);

        Assert.Same(block, Assert.Single(plan.Deletes));
        Assert.Equal(["s1", "s2"], plan.SlotRestores.Where(r => r.Target.Status == SlotStatus.Free).Select(r => r.Current.Id).Order());
    }

    [Fact]
    public void A_finished_block_is_kept()
    {
        var block = Block("b1", Change);

        Assert.True(Decide([Marked("s1", Change), Marked("s2", Change), block], [], [], BlockTime,
            lastWritten: [Guard("g1", Change)], previous: [Free("s1"), Free("s2")], blocks: [block]).IsEmpty);
    }

    [Fact]
    public void A_slot_a_block_marked_stays_unavailable_while_another_block_covers_it()
    {
        // Another block made meanwhile (the unfinished one never claimed its guard) found s1 already unavailable.
        var other = Block("b2", OtherChange);

        var plan = Decide([Marked("s1", Change), NewSlot("s2", SlotStatus.Free, null), Block("b1", Change)], [], [], BlockTime,
            previous: [Free("s1"), Free("s2")], blocks: [other]);

        Assert.Empty(plan.SlotRestores);
        Assert.Equal("b1", Assert.Single(plan.Deletes).Id);
    }

    [Fact]
    public void What_someone_wrote_since_a_block_is_not_rolled_back()
    {
        // s1 was freed since and b1 written since, both by another change (an unblock in flight, say).
        var plan = Decide([NewSlot("s1", SlotStatus.Free, OtherChange), Block("b1", OtherChange)], [], [], BlockTime, previous: [Free("s1"), Free("s2")]);

        Assert.True(plan.IsEmpty);
    }

    /// <summary>unblockTime of b1: s1 and s2 freed, b1 retired, then the guard claim.</summary>
    private static readonly List<PlannedWrite> UnblockTime = [new("Slot", "s1", "2"), new("Slot", "s2", "2"), new("Slot", "b1", "1"), new("Basic", "g1", "4")];

    [Fact]
    public void An_unblock_killed_between_its_slot_writes_marks_the_freed_slot_again()
    {
        var block = Block("b1", OtherChange);

        var plan = Decide([NewSlot("s1", SlotStatus.Free, Change), Marked("s2", OtherChange), block], [], [], UnblockTime,
            previous: [Marked("s1", OtherChange), Marked("s2", OtherChange), block], blocks: [block]);

        var restore = Assert.Single(plan.SlotRestores);
        Assert.Equal("s1", restore.Current.Id);
        Assert.True(BlockNesting.IsMarked(restore.Target));
        Assert.Empty(plan.Deletes);
    }

    [Fact]
    public void An_unblock_killed_after_retiring_its_block_puts_the_block_back_and_keeps_a_booking_made_meanwhile()
    {
        var retired = Block("b1", Change);
        retired.Status = SlotStatus.EnteredInError;
        var booked = NewSlot("s2", SlotStatus.Busy, OtherChange);
        var holder = NewAppointment("a1", AppointmentStatus.Booked, OtherChange, "s2");

        var plan = Decide([NewSlot("s1", SlotStatus.Free, Change), booked, retired], [], [holder], UnblockTime,
            previous: [Marked("s1", OtherChange), Marked("s2", OtherChange), Block("b1", null)]);

        Assert.Equal(["b1", "s1"], plan.SlotRestores.Select(r => r.Current.Id));
        Assert.True(BlockNesting.IsBlock(plan.SlotRestores[0].Target));
        Assert.True(BlockNesting.IsMarked(plan.SlotRestores[1].Target));
        Assert.Empty(plan.Free);
    }

    [Fact]
    public void A_slot_freed_by_an_unblock_and_left_free_by_someone_since_is_marked_again_under_the_block_put_back()
    {
        var retired = Block("b1", Change);
        retired.Status = SlotStatus.EnteredInError;
        var rebookedAndCancelled = Timed(NewSlot("s2", SlotStatus.Free, OtherChange));

        var plan = Decide([NewSlot("s1", SlotStatus.Free, Change), rebookedAndCancelled, retired], [], [], UnblockTime,
            previous: [Marked("s1", OtherChange), Marked("s2", OtherChange), Block("b1", null)]);

        var again = Assert.Single(plan.SlotRestores, r => r.Current.Id == "s2");
        Assert.Same(rebookedAndCancelled, again.Current);
        Assert.True(BlockNesting.IsMarked(again.Target));
        Assert.False(ChangeIntent.IsTaggedBy(again.Target, OtherChange));
    }

    [Fact]
    public void Slots_created_by_an_unfinished_create_slots_are_deleted_unless_someone_wrote_them_since()
    {
        List<PlannedWrite> createSlots = [new("Slot", null, null), new("Slot", null, null), new("Basic", "g1", "4")];
        var untouched = NewSlot("n1", SlotStatus.Free, Change);
        var bookedSince = NewSlot("n2", SlotStatus.Busy, OtherChange);

        var plan = Decide([untouched, bookedSince], [], [NewAppointment("a1", AppointmentStatus.Booked, OtherChange, "n2")], createSlots);

        Assert.Same(untouched, Assert.Single(plan.Deletes));
        Assert.Empty(plan.SlotRestores);
        Assert.Empty(plan.Free);
    }

    [Fact]
    public void A_slot_another_change_in_flight_wrote_last_is_left_to_it()
    {
        // Freed meanwhile and taken by a change that has not yet written its appointment.
        var slot = NewSlot("s1", SlotStatus.Busy, OtherChange);
        var cancelled = NewAppointment("a1", AppointmentStatus.Cancelled, Change, "s1");
        List<PlannedWrite> cancel = [new("Appointment", "a1", "2"), new("Slot", "s1", "1")];

        Assert.True(Decide([slot], [cancelled], [cancelled], cancel, live: [OtherChange]).IsEmpty);
        Assert.Single(Decide([slot], [cancelled], [cancelled], cancel).Free);
    }

    [Fact]
    public void What_another_change_wrote_since_is_not_touched()
    {
        var slot = NewSlot("s1", SlotStatus.Busy, OtherChange);
        var appointment = NewAppointment("a1", AppointmentStatus.Booked, OtherChange, "s9");
        var holder = NewAppointment("a2", AppointmentStatus.Booked, OtherChange, "s1");

        Assert.True(Decide([slot], [appointment], [holder], Book("s1")).IsEmpty);
    }

    [Fact]
    public void A_planned_write_survives_the_intent_record()
    {
        var slot = NewSlot("s1", SlotStatus.Free, null);
        var intent = ChangeIntent.Record(Change, DateTimeOffset.UnixEpoch, [FhirWrite.Update(slot, slot), FhirWrite.Create(new Appointment())]);

        Assert.Equal([new PlannedWrite("Slot", "s1", "1"), new PlannedWrite("Appointment", null, null)], ChangeIntent.PlannedWrites(intent));
        Assert.Equal(DateTimeOffset.UnixEpoch, ChangeIntent.StartedAt(intent));
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

    /// <summary>A booking's planned writes: its slots, its appointment (a create), then its guards g1 and g2.</summary>
    private static List<PlannedWrite> Book(params string[] slotIds) =>
        [.. slotIds.Select(id => new PlannedWrite("Slot", id, "1")), new("Appointment", null, null), new("Basic", "g1", "3"), new("Basic", "g2", "3")];

    private static RepairPlan Decide(
        IReadOnlyList<Slot> slots, IReadOnlyList<Appointment> appointments, IReadOnlyList<Appointment> onSlots, IReadOnlyList<PlannedWrite> planned,
        IReadOnlyList<Resource>? lastWritten = null, IReadOnlyList<string>? live = null, IReadOnlyList<Resource>? previous = null,
        IReadOnlyList<Slot>? blocks = null) =>
        ChangeRepair.Decide(State(slots, appointments, onSlots, planned, lastWritten, live, previous, blocks));

    private static ChangeState State(
        IReadOnlyList<Slot> slots, IReadOnlyList<Appointment> appointments, IReadOnlyList<Appointment> onSlots, IReadOnlyList<PlannedWrite> planned,
        IReadOnlyList<Resource>? lastWritten = null, IReadOnlyList<string>? live = null, IReadOnlyList<Resource>? previous = null,
        IReadOnlyList<Slot>? blocks = null) =>
        new(Change, planned, lastWritten ?? [], slots, appointments, onSlots, (live ?? []).ToHashSet(), previous, blocks);

    /// <summary>Slots s1, s2 (14:00, 14:30) under a block b1 (14:00 to 15:00), all on one schedule.</summary>
    private static readonly DateTimeOffset At = new(2030, 1, 7, 14, 0, 0, TimeSpan.Zero);

    private static Slot Timed(Slot slot)
    {
        var index = slot.Id == "s2" ? 1 : 0;
        slot.Start = slot.Id == "b1" || slot.Id == "b2" ? At : At.AddMinutes(30 * index);
        slot.End = slot.Id == "b1" || slot.Id == "b2" ? At.AddHours(1) : At.AddMinutes(30 * (index + 1));
        slot.Schedule = new ResourceReference("Schedule/sc1");
        return slot;
    }

    private static Slot Free(string id) => Timed(NewSlot(id, SlotStatus.Free, null));

    private static Slot Marked(string id, string? change)
    {
        var slot = Timed(NewSlot(id, SlotStatus.BusyUnavailable, change));
        slot.SetExtension(GatewayProfile.BlockedByExtension, new ResourceReference { Identifier = new Identifier(GatewayProfile.BlockSystem, "b1") });
        return slot;
    }

    private static Slot Block(string id, string? change) => Timed(NewSlot(id, SlotStatus.BusyUnavailable, change));

    private static Basic Guard(string id, string? change) => new() { Id = id, Meta = Tagged(change) };

    private static Meta Tagged(string? change) =>
        new() { VersionId = "1", Tag = change is null ? [] : [new Coding(GatewayProfile.ChangeTagSystem, change)] };

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

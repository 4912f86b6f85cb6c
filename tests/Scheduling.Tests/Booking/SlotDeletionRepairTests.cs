using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Tests.Booking;

/// <summary>
/// The repair of an interrupted deleteSlots written write by write (reserve s1, s2, s3; claim the guard; delete s1,
/// s2, s3), decided from fresh reads alone: finished once a delete landed, rolled back before. No peer.
/// </summary>
public sealed class SlotDeletionRepairTests
{
    private const string Change = "c1";

    private static readonly List<PlannedWrite> DeleteSlots =
    [
        new("Slot", "s1", "1"), new("Slot", "s2", "1"), new("Slot", "s3", "1"), new("Basic", "g1", "4"),
        new("Slot", "s1", null, IsDelete: true), new("Slot", "s2", null, IsDelete: true), new("Slot", "s3", null, IsDelete: true),
    ];

    [Fact]
    public void Killed_after_its_first_delete_it_deletes_the_rest_it_still_reserves()
    {
        // s1 is gone; s2 is still reserved by the change; s3 was written by someone else since (theirs stands).
        var plan = ChangeRepair.Decide(State([Slot("s2", SlotStatus.BusyUnavailable, Change), Slot("s3", SlotStatus.Busy, "other")], lastWritten: [Slot("s3", SlotStatus.Busy, "other")]));

        Assert.Equal("s2", Assert.Single(plan.Deletes).Id);
        Assert.Empty(plan.SlotRestores);
        Assert.Empty(plan.Free);
    }

    [Fact]
    public void A_slot_an_appointment_points_to_is_never_deleted_by_the_repair()
    {
        var onS2 = new Appointment { Id = "a1", Status = Appointment.AppointmentStatus.Cancelled, Slot = [new ResourceReference("Slot/s2")] };

        var plan = ChangeRepair.Decide(State([Slot("s2", SlotStatus.BusyUnavailable, Change)], onSlots: [onS2]));

        Assert.Empty(plan.Deletes);
    }

    [Fact]
    public void Killed_before_any_delete_it_puts_every_slot_it_reserved_back_free()
    {
        var reserved = new[] { Slot("s1", SlotStatus.BusyUnavailable, Change), Slot("s2", SlotStatus.BusyUnavailable, Change), Slot("s3", SlotStatus.Free, null) };

        var plan = ChangeRepair.Decide(State(reserved, lastWritten: [reserved[2]], previous: [Slot("s1", SlotStatus.Free, null), Slot("s2", SlotStatus.Free, null), Slot("s3", SlotStatus.Free, null)]));

        Assert.Empty(plan.Deletes);
        Assert.Equal(["s1", "s2"], plan.SlotRestores.Select(r => r.Current.Id).Order());
        Assert.All(plan.SlotRestores, r => Assert.Equal(SlotStatus.Free, r.Target.Status));
    }

    [Fact]
    public void Its_last_delete_landed_it_finished()
    {
        var state = State([], lastWritten: []);

        Assert.True(ChangeRepair.Finished(state));
        Assert.True(ChangeRepair.Decide(state).IsEmpty);
    }

    [Fact]
    public void A_planned_delete_is_recorded_and_read_back_as_a_delete()
    {
        var slot = Slot("s1", SlotStatus.Free, null);
        var written = PlannedWrite.Of(FhirWrite.Delete(slot));

        Assert.Equal(new PlannedWrite("Slot", "s1", null, IsDelete: true), written);
        Assert.Equal(written, PlannedWrite.Parse(written.ToString()));
        Assert.Equal(new PlannedWrite("Slot", "s1", "1"), PlannedWrite.Parse("Slot/s1@1"));
        Assert.Equal(written, Assert.Single(ChangeIntent.PlannedWrites(ChangeIntent.Record(Change, DateTimeOffset.UnixEpoch, [FhirWrite.Delete(slot)]))));
    }

    private static ChangeState State(
        IReadOnlyList<Slot> slots, IReadOnlyList<Resource>? lastWritten = null, IReadOnlyList<Appointment>? onSlots = null, IReadOnlyList<Resource>? previous = null) =>
        new(Change, DeleteSlots, lastWritten ?? [], slots, [], onSlots ?? [], new HashSet<string>(), previous, []);

    private static Slot Slot(string id, SlotStatus status, string? change) => new()
    {
        Id = id,
        Status = status,
        Schedule = new ResourceReference("Schedule/sc1"),
        Start = new DateTimeOffset(2030, 1, 7, 14, 0, 0, TimeSpan.Zero).AddMinutes(30 * (id[^1] - '1')),
        End = new DateTimeOffset(2030, 1, 7, 14, 30, 0, TimeSpan.Zero).AddMinutes(30 * (id[^1] - '1')),
        Meta = new Meta { VersionId = "2", Tag = change is null ? [] : [new Coding(GatewayProfile.ChangeTagSystem, change)] },
    };
}

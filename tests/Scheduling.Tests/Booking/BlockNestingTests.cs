using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Tests.Booking;

/// <summary>Blocks nest, decided on time alone and without any peer: what a block takes out and what an unblock frees.</summary>
public sealed class BlockNestingTests
{
    private static readonly DateTimeOffset Nine = new(2030, 3, 4, 9, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, SlotStatus> NoneHeld = [];

    private static Slot Slot(string id, int fromMinutes, int toMinutes, SlotStatus status) => new()
    {
        Id = id,
        Status = status,
        Start = Nine.AddMinutes(fromMinutes),
        End = Nine.AddMinutes(toMinutes),
    };

    private static Slot Block(string id, int fromMinutes, int toMinutes) => Slot(id, fromMinutes, toMinutes, SlotStatus.BusyUnavailable);

    /// <summary>A slot some block made unavailable; which one does not matter to what an unblock frees.</summary>
    private static Slot Marked(string id, int fromMinutes, int toMinutes)
    {
        var slot = Slot(id, fromMinutes, toMinutes, SlotStatus.BusyUnavailable);
        slot.SetExtension(GatewayProfile.BlockedByExtension, new ResourceReference { Identifier = new Identifier(GatewayProfile.BlockSystem, "whoever") });
        return slot;
    }

    private static TimeRange Span(int fromMinutes, int toMinutes) => new(Nine.AddMinutes(fromMinutes), Nine.AddMinutes(toMinutes));

    private static List<string?> Ids(IEnumerable<(Slot Slot, SlotStatus Status)> release, SlotStatus status) =>
        [.. release.Where(r => r.Status == status).Select(r => r.Slot.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public void Unblocking_the_inner_block_frees_nothing_the_outer_block_still_covers()
    {
        // Inner 09:30–10:00 made first (marked s1), outer 09:00–10:30 after it (marked s0 and s2).
        var inner = Block("inner", 30, 60);
        var outer = Block("outer", 0, 90);
        List<Slot> slots = [inner, outer, Marked("s0", 0, 30), Marked("s1", 30, 60), Marked("s2", 60, 90), Slot("s3", 90, 120, SlotStatus.Free)];

        Assert.Empty(BlockNesting.Release(inner, slots, NoneHeld));

        // Once the inner block is gone, the outer one frees all three.
        Assert.Equal(["s0", "s1", "s2"], Ids(BlockNesting.Release(outer, slots.Where(s => s.Id != "inner"), NoneHeld), SlotStatus.Free));
    }

    [Fact]
    public void Unblocking_frees_only_the_part_no_other_block_overlaps_even_partly()
    {
        // Two blocks overlapping at 09:30–10:00; a slot the other block merely touches at one end is not covered by it.
        var first = Block("first", 0, 60);
        var second = Block("second", 45, 120);
        List<Slot> slots = [first, second, Marked("a", 0, 30), Marked("b", 30, 60), Marked("c", 60, 90), Marked("d", 90, 120)];

        Assert.Equal(["a"], Ids(BlockNesting.Release(first, slots, NoneHeld), SlotStatus.Free));
        Assert.Equal(["c", "d"], Ids(BlockNesting.Release(second, slots, NoneHeld), SlotStatus.Free));
    }

    [Fact]
    public void A_marked_slot_an_active_appointment_holds_takes_its_status_instead_of_becoming_free()
    {
        var block = Block("block", 0, 60);
        List<Slot> slots = [block, Marked("booked", 0, 30), Marked("held", 30, 60)];

        var release = BlockNesting.Release(block, slots, new Dictionary<string, SlotStatus> { ["booked"] = SlotStatus.Busy, ["held"] = SlotStatus.BusyTentative });

        Assert.Equal(["booked"], Ids(release, SlotStatus.Busy));
        Assert.Equal(["held"], Ids(release, SlotStatus.BusyTentative));
        Assert.Empty(Ids(release, SlotStatus.Free));
    }

    [Fact]
    public void Free_busy_and_retired_slots_are_never_touched_by_an_unblock_and_retired_blocks_cover_nothing()
    {
        var block = Block("block", 0, 60);
        var retired = Slot("retired", 0, 60, SlotStatus.EnteredInError);
        List<Slot> slots = [block, retired, Slot("free", 0, 30, SlotStatus.Free), Slot("busy", 30, 60, SlotStatus.Busy), Marked("m", 0, 30), Marked("later", 60, 90)];

        Assert.Equal(["m"], Ids(BlockNesting.Release(block, slots, NoneHeld), SlotStatus.Free));
        Assert.False(BlockNesting.IsBlock(retired));
        Assert.False(BlockNesting.IsBlock(Marked("m", 0, 30)));
    }

    [Fact]
    public void A_block_takes_out_the_free_slots_it_overlaps_and_is_refused_only_by_bookings_and_holds()
    {
        List<Slot> slots =
        [
            Slot("before", 0, 30, SlotStatus.Free), Slot("partly", 15, 45, SlotStatus.Free), Slot("inside", 45, 60, SlotStatus.Free),
            Block("other-block", 30, 90), Marked("marked", 60, 90), Slot("after", 90, 120, SlotStatus.Free),
        ];

        Assert.Equal(["inside", "partly"], BlockNesting.ToMark(Span(30, 90), slots).Select(s => s.Id).Order(StringComparer.Ordinal));
        Assert.Empty(BlockNesting.Standing(Span(30, 90), slots));

        List<Slot> booked = [.. slots, Slot("booked", 60, 90, SlotStatus.Busy), Slot("held", 0, 30, SlotStatus.BusyTentative)];
        Assert.Equal(["booked"], BlockNesting.Standing(Span(30, 90), booked).Select(s => s.Id));
    }
}

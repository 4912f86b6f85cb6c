using CsCheck;
using GraphQL;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;

namespace Scheduling.Tests.Booking;

/// <summary>
/// The pure parts of availability as a connection: keyset paging (a cursor keeps its place whatever is booked or
/// freed between pages), the option id codec, and which slots an option id takes.
/// </summary>
public sealed class AvailabilityPagingTests
{
    /// <summary>
    /// Pages read forward while items come and go between pages: every item there from the first page to the last is
    /// seen exactly once, and nothing is seen twice or out of order. An offset cursor fails this at the first item
    /// removed (or added) before it.
    /// </summary>
    [Fact]
    public void Forward_pages_see_every_item_that_stays_once_in_order_whatever_comes_and_goes_between_pages()
    {
        var changes = Gen.Select(Gen.Int[1, 5], Gen.Int[0, 199].Array[0, 4], Gen.Int[0, 199].Array[0, 4]);
        Gen.Select(Gen.Int[0, 199].Array[0, 60], changes.Array[1, 30]).Sample((initial, steps) =>
        {
            var items = new SortedSet<int>(initial);
            var stayed = new HashSet<int>(items);
            var seen = new List<int>();
            string? after = null;
            foreach (var (size, removed, added) in steps)
            {
                var page = Page(items, new PageArguments(size, after, null, null));
                seen.AddRange(page.Edges!.Select(e => e.Node));
                after = page.PageInfo!.EndCursor ?? after;
                if (!page.PageInfo.HasNextPage)
                {
                    break;
                }

                items.ExceptWith(removed);
                stayed.ExceptWith(removed);
                items.UnionWith(added);
            }

            var last = seen.Count == 0 ? -1 : seen[^1];
            Assert.Equal(seen.Distinct().Order(), seen);
            Assert.All(stayed.Where(i => i <= last), i => Assert.Contains(i, seen));
        });
    }

    [Fact]
    public void Backward_pages_from_the_end_see_the_whole_list_once_and_first_with_last_follow_Relays_algorithm()
    {
        Gen.Select(Gen.Int[0, 99].Array[0, 40], Gen.Int[1, 7]).Sample((initial, size) =>
        {
            var items = new SortedSet<int>(initial);
            var seen = new List<int>();
            string? before = null;
            while (true)
            {
                var page = Page(items, new PageArguments(null, null, size, before));
                seen.InsertRange(0, page.Edges!.Select(e => e.Node));
                if (!page.PageInfo!.HasPreviousPage)
                {
                    break;
                }

                before = page.PageInfo.StartCursor;
            }

            Assert.Equal(items, seen);
        });

        var list = new SortedSet<int>(Enumerable.Range(0, 10));
        var both = Page(list, new PageArguments(6, Cursor(1), 2, Cursor(9)));
        Assert.Equal([6, 7], both.Edges!.Select(e => e.Node));
        Assert.True(both.PageInfo!.HasNextPage && both.PageInfo.HasPreviousPage);
        Assert.Equal(10, both.TotalCount);
    }

    [Fact]
    public void Page_sizes_out_of_range_are_user_errors()
    {
        var list = new SortedSet<int>([1, 2, 3]);
        Assert.Throws<UserInputError>(() => Page(list, new PageArguments(-1, null, null, null)));
        Assert.Throws<UserInputError>(() => Page(list, new PageArguments(null, null, Paging.MaxPageSize + 1, null)));
        Assert.Equal(Paging.DefaultPageSize, Page(new SortedSet<int>(Enumerable.Range(0, 80)), new PageArguments(null, null, null, null)).Edges!.Count);
    }

    /// <summary>An option id keeps its schedule and its instants with their offsets (a rule slot is found by that exact text).</summary>
    [Fact]
    public void An_option_id_round_trips_with_its_offsets_and_is_never_taken_for_an_entity_id_or_the_reverse()
    {
        var offset = Gen.Int[-12 * 4, 14 * 4].Select(q => TimeSpan.FromMinutes(15 * q));
        var instant = Gen.Select(Gen.Long[0, 5_000_000], offset).Select((minutes, o) => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(minutes).ToOffset(o));
        var id = Gen.Char["abcXYZ0189-."].Array[1, 64].Select(c => new string(c));
        Gen.Select(id, instant, Gen.Int[1, 2000], offset).Sample((scheduleId, start, minutes, endOffset) =>
        {
            var option = new OfferedTime(scheduleId, start, start.AddMinutes(minutes).ToOffset(endOffset));
            var encoded = GlobalId.EncodeOption(option);
            Assert.True(GlobalId.TryDecodeOption(encoded, out var decoded));
            Assert.Equal((option.ScheduleId, option.Start.Offset, option.End.Offset), (decoded.ScheduleId, decoded.Start.Offset, decoded.End.Offset));
            Assert.Equal(option, decoded);
            Assert.Equal(new FhirReference(GlobalId.OptionType, encoded), GlobalId.ReadNode(encoded));
            Assert.False(GlobalId.TryDecode(encoded, out _));
            Assert.False(GlobalId.TryDecodeOption(GlobalId.Encode("Schedule", scheduleId), out _));
        });
    }

    [Fact]
    public void An_option_takes_the_slots_that_cover_its_span_end_to_end_the_free_ones_first()
    {
        var at = new DateTimeOffset(2027, 3, 15, 9, 0, 0, TimeSpan.Zero);
        Slot Slot(string id, int from, int to, Slot.SlotStatus status = Hl7.Fhir.Model.Slot.SlotStatus.Free) =>
            new() { Id = id, Start = at.AddMinutes(from), End = at.AddMinutes(to), Status = status };
        var slots = new[]
        {
            Slot("busy-a", 0, 30, Hl7.Fhir.Model.Slot.SlotStatus.Busy), Slot("a", 0, 30), Slot("long", 0, 45), Slot("b", 30, 60),
            Slot("c", 60, 90), Slot("past-end", 60, 120),
        };

        Assert.Equal(["a", "b"], Ids(SlotReservation.Covering(slots, new TimeRange(at, at.AddMinutes(60)))));
        Assert.Equal(["a", "b", "c"], Ids(SlotReservation.Covering(slots, new TimeRange(at, at.AddMinutes(90)))));
        Assert.Equal(["b"], Ids(SlotReservation.Covering(slots, new TimeRange(at.AddMinutes(30), at.AddMinutes(60)))));
        // Only the busy one covers it: it is taken, and booking then refuses it as busy.
        Assert.Equal(["busy-a"], Ids(SlotReservation.Covering(slots.Where(s => s.Id != "a"), new TimeRange(at, at.AddMinutes(30)))));
        // Nothing ends exactly there, or a gap: not offered any more.
        Assert.Null(SlotReservation.Covering(slots, new TimeRange(at, at.AddMinutes(50))));
        Assert.Null(SlotReservation.Covering(slots.Where(s => s.Id != "b"), new TimeRange(at, at.AddMinutes(90))));
        // No more than a booking may take.
        var many = Enumerable.Range(0, SlotReservation.MaxSlots + 1).Select(i => Slot("s" + i, 5 * i, 5 * (i + 1))).ToList();
        Assert.NotNull(SlotReservation.Covering(many, new TimeRange(at, at.AddMinutes(5 * SlotReservation.MaxSlots))));
        Assert.Null(SlotReservation.Covering(many, new TimeRange(at, at.AddMinutes(5 * (SlotReservation.MaxSlots + 1)))));
    }

    private static List<string>? Ids(List<Slot>? slots) => slots?.Select(s => s.Id!).ToList();

    private static GraphQL.Types.Relay.DataObjects.Connection<int> Page(SortedSet<int> items, PageArguments page) =>
        KeysetPaging.Page([.. items], i => i, Comparer<int>.Default, Cursor, Decode, page);

    private static string Cursor(int key) => "k" + key.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int Decode(string cursor) => int.Parse(cursor[1..], System.Globalization.CultureInfo.InvariantCulture);
}

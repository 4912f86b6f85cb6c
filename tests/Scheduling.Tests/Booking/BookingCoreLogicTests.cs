using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;

namespace Scheduling.Tests.Booking;

/// <summary>The booking core's pure logic, without any peer: busy time over spans, guard buckets, horizons, zones.</summary>
public sealed class BookingCoreLogicTests
{
    private static readonly DateTimeOffset Nine = new(2030, 3, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Past = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Slot Slot(string id, int fromMinutes, int toMinutes, Slot.SlotStatus status, bool overbooked = false) => new()
    {
        Id = id,
        Status = status,
        Start = Nine.AddMinutes(fromMinutes),
        End = Nine.AddMinutes(toMinutes),
        Overbooked = overbooked ? true : null,
    };

    private static Appointment Appointment(string id, int fromMinutes, int toMinutes, Appointment.AppointmentStatus status, params string[] slotIds) => new()
    {
        Id = id,
        Status = status,
        Start = Nine.AddMinutes(fromMinutes),
        End = Nine.AddMinutes(toMinutes),
        Slot = [.. slotIds.Select(s => new ResourceReference("Slot/" + s))],
    };

    private static TimeRange Span(int fromMinutes, int toMinutes) => new(Nine.AddMinutes(fromMinutes), Nine.AddMinutes(toMinutes));

    [Fact]
    public void A_longer_busy_slot_makes_an_overlapping_free_one_unavailable()
    {
        var free = Slot("old", 0, 30, Hl7.Fhir.Model.Slot.SlotStatus.Free);
        var busy = Slot("long", 0, 60, Hl7.Fhir.Model.Slot.SlotStatus.Busy);

        var conflicts = BusyTime.Conflicts(Span(0, 30), [free, busy], [], [free], null, Past);

        Assert.Equal(["long"], conflicts.SlotIds);
        Assert.Empty(BusyTime.OfferableFree([free, busy], BusyTime.Spans([free, busy])));
    }

    [Fact]
    public void An_active_appointment_of_an_actor_blocks_any_overlapping_span_but_not_an_adjacent_one()
    {
        var booked = Appointment("a", 30, 75, Hl7.Fhir.Model.Appointment.AppointmentStatus.Booked, "x");

        Assert.Equal(["a"], BusyTime.Conflicts(Span(60, 90), [], [booked], [], null, Past).AppointmentIds);
        Assert.False(BusyTime.Conflicts(Span(75, 105), [], [booked], [], null, Past).Any);
        Assert.False(BusyTime.Conflicts(Span(0, 30), [], [booked], [], null, Past).Any);
    }

    [Fact]
    public void Cancelled_appointments_expired_holds_and_the_moved_appointment_do_not_count()
    {
        var cancelled = Appointment("c", 0, 30, Hl7.Fhir.Model.Appointment.AppointmentStatus.Cancelled, "s1");
        var expired = Appointment("h", 0, 30, Hl7.Fhir.Model.Appointment.AppointmentStatus.Pending, "s2");
        expired.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(Nine.AddMinutes(-1))));
        var standing = Appointment("k", 0, 30, Hl7.Fhir.Model.Appointment.AppointmentStatus.Pending, "s3");
        standing.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(Nine.AddMinutes(10))));
        var moving = Appointment("m", 0, 30, Hl7.Fhir.Model.Appointment.AppointmentStatus.Booked, "s4");
        var itsSlot = Slot("s4", 0, 30, Hl7.Fhir.Model.Slot.SlotStatus.Busy);

        var conflicts = BusyTime.Conflicts(Span(0, 30), [itsSlot], [cancelled, expired, standing, moving], [], "m", Nine);

        Assert.Equal(["k"], conflicts.AppointmentIds);
        Assert.Empty(conflicts.SlotIds);
    }

    /// <summary>
    /// One standing predicate: a slot held only by an expired hold is free time for busy time and availability alike;
    /// one an expired and a standing appointment both hold still stands.
    /// </summary>
    [Fact]
    public void A_slot_held_only_by_an_expired_hold_does_not_stand()
    {
        var expired = Appointment("h", 0, 30, Hl7.Fhir.Model.Appointment.AppointmentStatus.Pending, "held", "shared");
        expired.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(Nine.AddMinutes(-1))));
        var booked = Appointment("b", 30, 60, Hl7.Fhir.Model.Appointment.AppointmentStatus.Booked, "shared");
        var held = Slot("held", 0, 30, Hl7.Fhir.Model.Slot.SlotStatus.BusyTentative);
        var shared = Slot("shared", 30, 60, Hl7.Fhir.Model.Slot.SlotStatus.BusyTentative);

        Assert.Equal(["shared"], BusyTime.Conflicts(Span(0, 60), [held, shared], [expired, booked], [], null, Nine).SlotIds);
        var busy = BusyTime.Spans([held, shared], [expired, booked], [], Nine);
        Assert.Equal([Span(30, 60)], busy);
        var dead = StandingTime.HeldOnlyByExpiredHolds([expired, booked], Nine);
        Assert.Equal(["held"], BusyTime.OfferableFree([held, shared], busy, dead).Select(s => s.Id));
        Assert.Empty(StandingTime.HeldOnlyByExpiredHolds([expired, booked], Nine.AddMinutes(-2)));
    }

    [Fact]
    public void An_overbooked_slot_being_taken_admits_its_appointments_and_blocks_are_busy()
    {
        var overbooked = Slot("o", 0, 30, Hl7.Fhir.Model.Slot.SlotStatus.Busy, overbooked: true);
        var onIt = Appointment("a", 0, 30, Hl7.Fhir.Model.Appointment.AppointmentStatus.Booked, "o");
        var block = Slot("b", 25, 120, Hl7.Fhir.Model.Slot.SlotStatus.BusyUnavailable);

        Assert.False(BusyTime.Conflicts(Span(0, 25), [overbooked], [onIt], [overbooked], null, Past).Any);
        Assert.Equal(["b"], BusyTime.Conflicts(Span(0, 30), [overbooked, block], [onIt], [overbooked], null, Past).SlotIds);
    }

    [Fact]
    public void Overlapping_spans_always_share_a_guard_bucket_and_adjacent_hours_do_not()
    {
        var spans = new[] { Span(0, 30), Span(15, 45), Span(55, 65), Span(-30, 0), Span(60, 120), Span(-1440, 1440) };
        foreach (var a in spans)
        {
            foreach (var b in spans.Where(b => a.Overlaps(b)))
            {
                Assert.NotEmpty(SpanGuards.Buckets(a).Intersect(SpanGuards.Buckets(b)));
            }
        }

        Assert.Equal([Nine], SpanGuards.Buckets(Span(0, 60)));
        Assert.Equal(48, SpanGuards.Buckets(Span(-1440, 1440)).Count());
        // A span given in another offset lands in the same UTC hours.
        var paris = new TimeRange(Nine.ToOffset(TimeSpan.FromHours(1)), Nine.AddMinutes(30).ToOffset(TimeSpan.FromHours(1)));
        Assert.Equal([Nine], SpanGuards.Buckets(paris));
    }

    [Fact]
    public void The_planning_horizon_bounds_both_ends_and_an_open_end_is_unbounded()
    {
        var schedule = new Schedule { PlanningHorizon = new Period(new FhirDateTime(Nine), new FhirDateTime(Nine.AddHours(8))) };

        Assert.True(BookingChecks.InsideHorizon(schedule, Span(0, 480)));
        Assert.False(BookingChecks.InsideHorizon(schedule, Span(-30, 30)));
        Assert.False(BookingChecks.InsideHorizon(schedule, Span(450, 510)));
        Assert.True(BookingChecks.InsideHorizon(new Schedule { PlanningHorizon = new Period(new FhirDateTime(Nine), null) }, Span(0, 100_000)));
        Assert.True(BookingChecks.InsideHorizon(new Schedule(), Span(-100_000, 100_000)));
    }

    [Fact]
    public void The_time_zone_is_read_as_the_gateway_writes_it_and_as_others_do()
    {
        var asCode = new Schedule();
        asCode.Extension.Add(new Extension(GatewayProfile.TimeZoneExtension, new Code("Europe/Paris")));
        var asString = new Schedule();
        asString.Extension.Add(new Extension(GatewayProfile.TimeZoneExtension, new FhirString("America/New_York")));

        Assert.Equal("Europe/Paris", GatewayProfile.TimeZoneOf(asCode));
        Assert.Equal("America/New_York", GatewayProfile.TimeZoneOf(asString));
        Assert.Null(GatewayProfile.TimeZoneOf(new Schedule()));
    }

    [Fact]
    public void A_rule_option_id_round_trips_its_exact_span_across_a_daylight_saving_change()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var local = new DateTime(2030, 3, 31, 9, 0, 0); // the morning after Paris springs forward
        var start = new DateTimeOffset(local, zone.GetUtcOffset(local));
        var id = RuleSlots.Id("s1", start, start.AddMinutes(45));

        Assert.True(RuleSlots.TryParse(id, out var scheduleId, out var span));
        Assert.Equal(("s1", start, start.AddMinutes(45)), (scheduleId, span.Start, span.End));
        Assert.Equal(TimeSpan.FromHours(2), span.Start.Offset);
        Assert.False(RuleSlots.TryParse("avail:not-base64!", out _, out _));
    }
}

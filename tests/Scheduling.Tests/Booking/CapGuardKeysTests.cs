using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;

namespace Scheduling.Tests.Booking;

/// <summary>
/// The rule the cap guards must keep (BookingCaps.GuardKeys), over any two capped schedules of one practitioner: in
/// any time zones, with a day cap, a week cap or both, whenever one booking's cap counts the other (the other's start
/// lies in the one's day or week window), the two claim at least one guard in common, so they cannot both commit on
/// what they read before the other.
/// </summary>
public sealed class CapGuardKeysTests
{
    private static readonly string[] Zones =
        ["UTC", "Asia/Tokyo", "America/Bogota", "Pacific/Auckland", "Pacific/Honolulu", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "Etc/GMT+12"];

    private static Schedule Capped(string zone) => new()
    {
        Actor = [new ResourceReference("Practitioner/p1")],
        Extension = [new Extension(GatewayProfile.TimeZoneExtension, new Code(zone))],
    };

    [Fact]
    public void Two_capped_bookings_of_one_practitioner_where_either_counts_the_other_share_a_guard()
    {
        var limits = Gen.OneOf(Gen.Const(new BookingLimits(0, 0, 1, 0)), Gen.Const(new BookingLimits(0, 0, 0, 1)), Gen.Const(new BookingLimits(0, 0, 1, 1)));
        var booking = Gen.Select(Gen.OneOf(Zones), limits, Gen.Int[0, 60 * 24 * 30]);
        var origin = new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero);
        Gen.Select(booking, booking).Sample((a, b) =>
        {
            var (zoneA, limitsA, minuteA) = a;
            var (zoneB, limitsB, minuteB) = b;
            var (startA, startB) = (origin.AddMinutes(minuteA), origin.AddMinutes(minuteB % (60 * 24 * 10) + minuteA - (60 * 24 * 5)));
            bool Counts(BookingLimits limits, string zone, DateTimeOffset start, DateTimeOffset other)
            {
                var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
                var day = BookingCaps.DayOf(start, tz);
                var week = BookingCaps.WeekOf(start, tz);
                return (limits.MaxPerDay > 0 && other >= day.Start && other < day.End) || (limits.MaxPerWeek > 0 && other >= week.Start && other < week.End);
            }

            if (!Counts(limitsA, zoneA, startA, startB) && !Counts(limitsB, zoneB, startB, startA))
            {
                return true;
            }

            var keysA = BookingCaps.GuardKeys(limitsA, Capped(zoneA), startA);
            var keysB = BookingCaps.GuardKeys(limitsB, Capped(zoneB), startB);
            return keysA.Intersect(keysB).Any();
        }, iter: 20_000);
    }

    [Fact]
    public void A_schedule_without_caps_claims_no_cap_guard()
    {
        Assert.Empty(BookingCaps.GuardKeys(new BookingLimits(0, 0, 0, 0), Capped("Asia/Tokyo"), DateTimeOffset.UtcNow));
    }
}

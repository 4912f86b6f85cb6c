using System.Text.Json.Nodes;
using CsCheck;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Schema.Schedules;
using Scheduling.Testing;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Booking refuses what availability and explain call BUFFER (a rule's buffers over busy time), with the refusal
/// <see cref="UnofferedReasons.BookingRefusal"/> maps it to; and, over generated rule schedules with bookings, holds and
/// blocks, booking a candidate time succeeds exactly when availability offered it (embedded store).
/// </summary>
public sealed class BookingBufferRuleTests
{
    private const string Book = """
        mutation($input: BookAppointmentInput!) {
          bookAppointment(input: $input) { appointment { fhirId } errors { __typename ... on BookingRuleError { rule } ... on ValidationError { validationRule: rule } } }
        }
        """;

    private static CancellationToken None => CancellationToken.None;

    private static DateTimeOffset Day(int days) => new DateTimeOffset(DateTimeOffset.UtcNow.Date, TimeSpan.Zero).AddDays(days);

    private static Appointment.ParticipantComponent Taking(string reference) =>
        new() { Actor = new ResourceReference(reference), Status = ParticipationStatus.Accepted };

    private static async Task<Schedule> RuleScheduleAsync(InMemoryFhirStore store, BookingWorld world, int before, int after, int align)
    {
        var schedule = new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/" + world.Practitioner.Id)] };
        new AvailabilityRule("UTC", [new AvailableTime([.. Enum.GetValues<DayOfWeek>()], new TimeOnly(9, 0), new TimeOnly(12, 0))], [], 30, before, after, align)
            .WriteTo(schedule);
        return await store.CreateAsync(schedule, None);
    }

    /// <summary>Busy time of the schedule's practitioner: 0 booked, 1 held, 2 blocked (a BUSY_UNAVAILABLE slot of the schedule).</summary>
    private static async Task TakeAsync(InMemoryFhirStore store, BookingWorld world, Schedule schedule, DateTimeOffset start, int minutes, int kind)
    {
        if (kind == 2)
        {
            await store.CreateAsync(new Slot
            {
                Schedule = new ResourceReference("Schedule/" + schedule.Id), Status = Slot.SlotStatus.BusyUnavailable, Start = start, End = start.AddMinutes(minutes),
            }, None);
            return;
        }

        var appointment = new Appointment
        {
            Status = kind == 1 ? Appointment.AppointmentStatus.Pending : Appointment.AppointmentStatus.Booked,
            Start = start,
            End = start.AddMinutes(minutes),
            Participant = [Taking("Practitioner/" + world.Practitioner.Id), Taking("Patient/" + world.Patient.Id)],
        };
        if (kind == 1)
        {
            appointment.Extension.Add(new Extension(GatewayProfile.HoldExpiresExtension, new Instant(DateTimeOffset.UtcNow.AddHours(1))));
        }

        await store.CreateAsync(appointment, None);
    }

    /// <summary>Books a time by its rule option id; the appointment's id, or null and the refusals (type, rule).</summary>
    private static async Task<(string? Appointment, List<(string Type, string? Rule)> Errors)> BookAsync(
        GatewayServer gateway, Schedule schedule, DateTimeOffset start, DateTimeOffset end, string patientId, string token)
    {
        var input = new { slotIds = new[] { GlobalId.EncodeSlot(RuleSlots.Id(schedule.Id!, start, end)) }, patientId };
        var answer = await gateway.QueryAsync(Book, new { input }, token);
        var payload = answer.At("data.bookAppointment") ?? throw new InvalidOperationException(answer.ToJsonString());
        return (payload["appointment"]?["fhirId"]?.GetValue<string>(),
            [.. payload["errors"]!.AsArray().Select(e => (e!["__typename"]!.GetValue<string>(), (e["rule"] ?? e["validationRule"])?.GetValue<string>()))]);
    }

    [Fact]
    public async Task A_time_inside_a_rules_buffer_is_refused_by_its_option_id_as_the_buffer_rule()
    {
        await using var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings());
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var world = await BookingWorld.CreateAsync(store, slots: 0);
        var schedule = await RuleScheduleAsync(store, world, before: 0, after: 15, align: 30);
        await TakeAsync(store, world, schedule, Day(2).AddHours(10), 30, kind: 0);

        // 09:30-10:00 is free, its 15 minutes after reach the 10:00 booking: BUFFER, refused as the map says.
        var (buffered, errors) = await BookAsync(gateway, schedule, Day(2).AddHours(9.5), Day(2).AddHours(10), world.OtherPatient.Id!, TestTokens.Patient(world.OtherPatient.Id!));
        Assert.Null(buffered);
        var refusal = UnofferedReasons.BookingRefusal[Unoffered.Buffer];
        Assert.Equal([(refusal.Error, refusal.Rule)], errors);
        Assert.Equal((nameof(BookingRuleError), BookingChecks.BufferRule), refusal);

        // 09:00-09:30 keeps its buffer clear: booked.
        var (booked, none) = await BookAsync(gateway, schedule, Day(2).AddHours(9), Day(2).AddHours(9.5), world.OtherPatient.Id!, TestTokens.Scheduler());
        Assert.True(booked is not null, string.Join(", ", none));
    }

    /// <summary>A generated rule schedule: buffers, alignment, busy time (start from 08:00 in 5 minutes, length, kind), duration, caller.</summary>
    private static readonly Gen<(int Before, int After, int Align, (int At, int Length, int Kind)[] Busy, int Duration, bool AsPatient)> Practices =
        from before in Gen.Int[0, 4].Select(i => i * 5)
        from after in Gen.Int[0, 4].Select(i => i * 5)
        from align in Gen.Int[0, 2].Select(i => new[] { 15, 30, 60 }[i])
        from busy in Gen.Select(Gen.Int[0, 59], Gen.Int[1, 8], Gen.Int[0, 2]).Array[0, 4]
        from duration in Gen.Int[0, 1].Select(i => new[] { 30, 45 }[i])
        from asPatient in Gen.Bool
        select (before, after, align, busy, duration, asPatient);

    [Fact]
    public async Task Booking_a_candidate_time_succeeds_exactly_when_availability_offered_it()
    {
        await using var gateway = await GatewayServer.StartAsync(TestTokens.GatewaySettings());
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        await Practices.SampleAsync(async practice =>
        {
            var world = await BookingWorld.CreateAsync(store, slots: 0);
            var schedule = await RuleScheduleAsync(store, world, practice.Before, practice.After, practice.Align);
            // Busy time from 08:00 to 13:00, around the rule's 09:00-12:00: some of it outside the window asked.
            foreach (var (at, length, kind) in practice.Busy)
            {
                await TakeAsync(store, world, schedule, Day(2).AddHours(8).AddMinutes(5 * at), 5 * length, kind);
            }

            using var scope = gateway.Services.CreateScope();
            var search = scope.ServiceProvider.GetRequiredService<AvailabilitySearch>();
            var input = new AvailabilityInput { ScheduleIds = [schedule.Id!], Start = Day(2).AddHours(9), End = Day(2).AddHours(12), DurationMinutes = practice.Duration };
            var offered = (await search.FindAsync(input, None)).Select(o => o.Offered).ToHashSet();
            var candidates = await search.ExplainAsync(input, None);
            Assert.NotEmpty(candidates);

            var token = practice.AsPatient ? TestTokens.Patient(world.OtherPatient.Id!) : TestTokens.Scheduler();
            foreach (var candidate in candidates)
            {
                var (booked, errors) = await BookAsync(gateway, schedule, candidate.Option.Start, candidate.Option.End, world.OtherPatient.Id!, token);
                Assert.True((booked is not null) == offered.Contains(candidate.Option.Offered),
                    $"{candidate.Option.Start:HH:mm} {candidate.Reasons}: booked {booked is not null}, offered {offered.Contains(candidate.Option.Offered)}; {string.Join(", ", errors)}");
                if (booked is null)
                {
                    // Every refusal is one its reasons map to; BUFFER alone is refused as BUFFER maps.
                    var mapped = UnofferedReasons.Each(candidate.Reasons).Select(r => UnofferedReasons.BookingRefusal[r]).ToHashSet();
                    Assert.All(errors, e => Assert.Contains(e, mapped));
                    if (candidate.Reasons == Unoffered.Buffer)
                    {
                        Assert.Equal([UnofferedReasons.BookingRefusal[Unoffered.Buffer]], errors);
                    }
                    continue;
                }

                // Undone, so the next candidate meets the generated busy time only.
                var appointment = (await store.ReadAsync<Appointment>(booked, None))!;
                await store.DeleteAsync(appointment, None);
                foreach (var slot in appointment.Slot)
                {
                    await store.DeleteAsync((await store.ReadAsync<Slot>(slot.Reference!.Split('/')[1], None))!, None);
                }
            }
        }, iter: 20, threads: 1);
    }
}

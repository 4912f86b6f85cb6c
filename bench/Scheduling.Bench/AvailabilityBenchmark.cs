using System.Diagnostics;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Schedules;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// One availability search in process (no GraphQL, no HTTP), over the embedded store: a rule schedule open Monday to
/// Friday 08:00-18:00 with 15-minute slots on a 5-minute grid and 5-minute buffers, 200 booked appointments, asked for
/// 62 days (the most availability takes). Prints CPU ms and KB allocated per search, and the options found: what
/// issue 16's explanation must not make dearer for ordinary availability.
/// </summary>
public static class AvailabilityBenchmark
{
    public static async Task RunAsync(int iterations)
    {
        var settings = new Dictionary<string, string?> { ["GraphQL:RateLimitPerSecond"] = "0" };
        await using var gateway = await GatewayServer.StartAsync(settings);
        var store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var none = CancellationToken.None;
        var practitioner = await store.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Bench" }] }, none);
        var patient = await store.CreateAsync(new Patient { Name = [new HumanName { Family = "Bench" }] }, none);
        var schedule = new Schedule { Active = true, Actor = [new ResourceReference("Practitioner/" + practitioner.Id)] };
        new AvailabilityRule("Europe/Berlin",
            [new AvailableTime([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], new TimeOnly(8, 0), new TimeOnly(18, 0))],
            [], 15, 5, 5, 5).WriteTo(schedule);
        schedule = await store.CreateAsync(schedule, none);
        var from = DateTimeOffset.UtcNow.Date.AddDays(2);
        for (var i = 0; i < 200; i++)
        {
            var start = new DateTimeOffset(from.AddDays(i % 60).AddHours(9 + (i % 7)), TimeSpan.Zero);
            await store.CreateAsync(new Appointment
            {
                Status = Appointment.AppointmentStatus.Booked,
                Start = start,
                End = start.AddMinutes(15),
                Participant =
                [
                    new Appointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/" + practitioner.Id), Status = ParticipationStatus.Accepted },
                    new Appointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + patient.Id), Status = ParticipationStatus.Accepted },
                ],
            }, none);
        }

        var input = new AvailabilityInput { ScheduleIds = [schedule.Id!], Start = new DateTimeOffset(from, TimeSpan.Zero), End = new DateTimeOffset(from.AddDays(62), TimeSpan.Zero) };
        using var scope = gateway.Services.CreateScope();
        var search = scope.ServiceProvider.GetRequiredService<AvailabilitySearch>();
        var options = 0;
        for (var i = 0; i < 5; i++)
        {
            options = (await search.FindAsync(input, none)).Count; // warm-up
        }

        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            options = (await search.FindAsync(input, none)).Count;
        }

        clock.Stop();
        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds / iterations;
        var kb = (GC.GetTotalAllocatedBytes(precise: true) - bytes) / 1024.0 / iterations;
        Console.WriteLine($"availability, rule schedule, 62 days, 5-minute grid, 200 bookings: {options} options; per search: {cpuMs:0.00} CPU ms, {kb:0} KB allocated, {clock.Elapsed.TotalMilliseconds / iterations:0.00} ms wall ({iterations} searches, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }
}

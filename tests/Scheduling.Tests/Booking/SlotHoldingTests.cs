using CsCheck;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;
using SlotStatus = Hl7.Fhir.Model.Slot.SlotStatus;

namespace Scheduling.Tests.Booking;

/// <summary>
/// The one mapping of an appointment's status to its slots' status (<see cref="SlotHolding"/>), over every R4
/// status: what the search for a slot's holders finds, what the pure parts of each path write, and the statuses
/// busy time and the patient limit count all agree with it.
/// </summary>
public sealed class SlotHoldingTests
{
    private static readonly DateTimeOffset Now = new(2030, 3, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly FhirReference Patient = new("Patient", "p1");
    private static readonly FhirReference Doctor = new("Practitioner", "d1");

    public static TheoryData<AppointmentStatus> EveryStatus => [.. Enum.GetValues<AppointmentStatus>()];

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void Every_status_maps_to_one_slot_status_and_holds_its_slots_exactly_when_that_status_is_taken(AppointmentStatus status)
    {
        var appointment = new Appointment { Status = status };

        var slotStatus = SlotHolding.SlotStatusFor(status);

        Assert.Contains(slotStatus, new[] { SlotStatus.Free, SlotStatus.Busy, SlotStatus.BusyTentative });
        Assert.Equal(SlotHolding.IsTaken(slotStatus), SlotHolding.HoldsItsSlots(appointment));
        Assert.Equal(SlotHolding.HoldsItsSlots(appointment), SlotHolding.HoldingStatuses.Contains(status));
        // An active appointment takes time (busy time counts it), so it must hold its slots; an open one is active.
        Assert.True(!AppointmentSearches.IsActive(appointment) || SlotHolding.HoldsItsSlots(appointment), $"active {status} holds no slot");
        Assert.True(!AppointmentSearches.OpenStatuses.Contains(status) || AppointmentSearches.IsActive(appointment), $"open {status} is not active");
    }

    [Fact]
    public async Task The_search_for_a_slots_holders_finds_exactly_the_appointments_that_hold_it()
    {
        var store = new InMemoryFhirStore();
        var ids = new Dictionary<string, AppointmentStatus>();
        foreach (var status in Enum.GetValues<AppointmentStatus>())
        {
            var created = await store.CreateAsync(new Appointment { Status = status, Slot = [new ResourceReference("Slot/s1")], Participant = [AppointmentChanges.Participant(Patient.ToString(), ParticipationStatus.Accepted)] }, CancellationToken.None);
            ids[created.Id!] = status;
        }

        var found = await store.SearchAllAsync<Appointment>(AppointmentSearches.HoldingSlots(["s1"]), CancellationToken.None);

        Assert.Equal(
            ids.Where(i => SlotHolding.HoldsItsSlots(new Appointment { Status = i.Value })).Select(i => i.Value).Order(),
            found.Select(a => a.Status!.Value).Order());
    }

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void Unblocking_leaves_a_held_slot_as_its_holder_s_status_leaves_it(AppointmentStatus status)
    {
        var block = new Slot { Id = "block", Status = SlotStatus.BusyUnavailable, Start = Now, End = Now.AddHours(1) };
        var marked = new Slot { Id = "s1", Status = SlotStatus.BusyUnavailable, Start = Now, End = Now.AddMinutes(30) };
        marked.SetExtension(GatewayProfile.BlockedByExtension, new FhirString("block"));
        var holder = new Appointment { Status = status, Slot = [new ResourceReference("Slot/s1")] };

        var release = BlockNesting.Release(block, [block, marked], SlotHolding.HeldSlots([holder]));

        Assert.Equal(SlotHolding.SlotStatusFor(status), Assert.Single(release).Status);
    }

    [Fact]
    public void A_slot_held_by_a_booked_and_a_pending_appointment_is_busy_in_either_order()
    {
        Appointment On(AppointmentStatus status) => new() { Status = status, Slot = [new ResourceReference("Slot/s1")] };

        Assert.Equal(SlotStatus.Busy, SlotHolding.HeldSlots([On(AppointmentStatus.Booked), On(AppointmentStatus.Pending)])["s1"]);
        Assert.Equal(SlotStatus.Busy, SlotHolding.HeldSlots([On(AppointmentStatus.Pending), On(AppointmentStatus.Booked)])["s1"]);
    }

    /// <summary>
    /// Every answer to every appointment: the slots respond writes (<see cref="TimeEffect"/>) are the slots the
    /// appointment's new status maps to, and an answer that leaves the slots alone leaves that mapping alone.
    /// </summary>
    [Fact]
    public void Respond_writes_the_slots_its_new_status_maps_to_for_every_answer()
    {
        var participation = Gen.OneOf(ParticipationStatus.Accepted, ParticipationStatus.Declined, ParticipationStatus.Tentative, ParticipationStatus.NeedsAction);
        var gen = Gen.Select(Gen.OneOf(Enum.GetValues<AppointmentStatus>()), participation, participation, Gen.Select(Gen.Bool, participation, Gen.Bool));
        gen.Sample((status, patient, doctor, answer) =>
        {
            var appointment = new Appointment
            {
                Id = "a1",
                Status = status,
                Start = Now.AddDays(1),
                End = Now.AddDays(1).AddMinutes(30),
                Slot = [new ResourceReference("Slot/s1")],
                Participant = [AppointmentChanges.Participant(Patient.ToString(), patient), AppointmentChanges.Participant(Doctor.ToString(), doctor)],
            };
            var (byDoctor, answerStatus, counter) = answer;
            RespondDecision decision;
            try
            {
                decision = RespondTransition.Decide(appointment, new Answer(byDoctor ? Doctor : Patient, answerStatus, counter && answerStatus == ParticipationStatus.Tentative), Now);
            }
            catch (SchedulingException)
            {
                return true;
            }

            var after = SlotHolding.SlotStatusFor(decision.Changed);
            return decision.Time switch
            {
                TimeEffect.Take => after == SlotStatus.Busy,
                TimeEffect.Tentative => after == SlotStatus.BusyTentative,
                TimeEffect.Free => after == SlotStatus.Free,
                _ => after == SlotHolding.SlotStatusFor(appointment),
            };
        });
    }
}

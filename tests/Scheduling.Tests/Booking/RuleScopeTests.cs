using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using static Scheduling.Testing.GraphQLMutations;
using AppointmentStatus = Hl7.Fhir.Model.Appointment.AppointmentStatus;

namespace Scheduling.Tests.Booking;

/// <summary>When the booking rules judge a change (<see cref="BookingRules.ScopeOf"/>), pure: over every pair of statuses.</summary>
public sealed class RuleScopeTests
{
    public static TheoryData<AppointmentStatus> EveryStatus => [.. Enum.GetValues<AppointmentStatus>()];

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void Every_rule_and_the_patient_guard_judge_exactly_the_changes_that_add_an_open_appointment(AppointmentStatus after)
    {
        static int Open(AppointmentStatus? status) => status is { } s && AppointmentSearches.OpenStatuses.Contains(s) ? 1 : 0;
        foreach (var before in Enum.GetValues<AppointmentStatus>().Select(s => (AppointmentStatus?)s).Append(null))
        {
            var scope = BookingRules.ScopeOf(before, after, moves: false);

            // The open-bookings limit counts open appointments: it (and every other rule) judges where the count grows.
            Assert.Equal(Open(after) - Open(before) == 1, scope == RuleScope.NewlyOpen);
            Assert.NotEqual(RuleScope.Move, scope);
            Assert.Equal(RuleScope.Move, BookingRules.ScopeOf(before, after, moves: true));
        }
    }

    [Fact]
    public void Book_hold_and_accepting_a_proposal_are_judged_confirming_or_accepting_a_hold_is_not()
    {
        Assert.Equal(RuleScope.NewlyOpen, BookingRules.ScopeOf(null, AppointmentStatus.Booked, moves: false));
        Assert.Equal(RuleScope.NewlyOpen, BookingRules.ScopeOf(null, AppointmentStatus.Pending, moves: false));
        Assert.Equal(RuleScope.NewlyOpen, BookingRules.ScopeOf(AppointmentStatus.Proposed, AppointmentStatus.Booked, moves: false));
        Assert.Equal(RuleScope.None, BookingRules.ScopeOf(AppointmentStatus.Pending, AppointmentStatus.Booked, moves: false));
    }
}

/// <summary>
/// The booking rules over respond and confirm, on the embedded store and on Medplum: accepting a proposed
/// appointment (written by another FHIR client) answers to every rule and to the open-bookings limit, under
/// concurrency too (the patient's guard); a hold confirmed or accepted inside the lead time keeps the rules it passed.
/// </summary>
public abstract class RulesOnAnswersTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string AppointmentSelection = "appointment { id status slots { id status } }";

    private static CancellationToken None => CancellationToken.None;

    public static TheoryData<string> RulesBroken => ["minimum-lead-time", "maximum-days-ahead", "max-open-bookings"];

    [Theory]
    [MemberData(nameof(RulesBroken))]
    public async Task Accepting_a_proposed_appointment_answers_to_the_booking_rules_and_writes_nothing_when_refused(string rule)
    {
        var inAnHour = DateTimeOffset.UtcNow.AddHours(1);
        var world = rule == "minimum-lead-time"
            ? await BookingWorld.CreateAsync(Store, firstStart: inAnHour.AddTicks(-(inAnHour.Ticks % TimeSpan.TicksPerMinute)))
            : await BookingWorld.CreateAsync(Store, daysAhead: 3);
        var gateway = await GatewayAsync(rule switch
        {
            "minimum-lead-time" => ("Booking:MinimumLeadTimeMinutes", "120"),
            "maximum-days-ahead" => ("Booking:MaximumDaysAhead", "1"),
            _ => ("Booking:MaxOpenBookingsPerPatient", "1"),
        });
        if (rule == "max-open-bookings")
        {
            AssertNoErrors(await gateway.MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(4) }, patientId = world.Patient.Id }, "appointment { id }"));
        }

        var proposed = await ProposeAsync(world, world.Slots[0]);
        var slotBefore = (await Store.ReadAsync<Slot>(world.SlotId(0), None))!.Meta!.VersionId;

        var answer = await gateway.MutateAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = proposed.Id, actorId = "Patient/" + world.Patient.Id, participantStatus = "ACCEPTED" }, AppointmentSelection);

        Assert.Null(answer["appointment"]);
        Assert.Equal(rule, answer.At("errors.0.rule")?.GetValue<string>() ?? answer.ToJsonString());
        Assert.Equal(AppointmentStatus.Proposed, (await Store.ReadAsync<Appointment>(proposed.Id!, None))!.Status);
        Assert.Equal(slotBefore, (await Store.ReadAsync<Slot>(world.SlotId(0), None))!.Meta!.VersionId);
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("AppointmentResponse").Where("appointment", "Appointment/" + proposed.Id), None));
    }

    [Fact]
    public async Task A_hold_confirmed_or_accepted_inside_the_lead_time_keeps_the_rules_its_hold_passed()
    {
        var inAnHour = DateTimeOffset.UtcNow.AddHours(1);
        var world = await BookingWorld.CreateAsync(Store, firstStart: inAnHour.AddTicks(-(inAnHour.Ticks % TimeSpan.TicksPerMinute)));
        var holding = await GatewayAsync(("Booking:MinimumLeadTimeMinutes", "0"));
        // Another instance, where the lead time has since grown past the held time.
        var later = await GatewayAsync(("Booking:MinimumLeadTimeMinutes", "120"));
        var toConfirm = await holding.MutateAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(0) }, patientId = world.Patient.Id }, "appointment { id }");
        var toAccept = await holding.MutateAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(1) }, patientId = world.Patient.Id }, "appointment { id }");
        AssertNoErrors(toConfirm);
        AssertNoErrors(toAccept);

        var confirmed = await later.MutateAsync("confirmAppointment", "ConfirmAppointmentInput", new { appointmentId = Str(toConfirm, "appointment.id") }, AppointmentSelection);
        var accepted = await later.MutateAsync("respondToAppointment", "RespondToAppointmentInput",
            new { appointmentId = Str(toAccept, "appointment.id"), actorId = "Practitioner/" + world.Practitioner.Id, participantStatus = "ACCEPTED" }, AppointmentSelection);
        var fresh = await later.MutateAsync("holdSlots", "HoldSlotsInput", new { slotIds = new[] { world.SlotId(2) }, patientId = world.Patient.Id }, "appointment { id }");

        AssertNoErrors(confirmed);
        AssertNoErrors(accepted);
        Assert.Equal(("BOOKED", "BOOKED"), (Str(confirmed, "appointment.status"), Str(accepted, "appointment.status")));
        // The rule does stand on that instance: time newly taken there is refused.
        Assert.Equal("minimum-lead-time", fresh.At("errors.0.rule")?.GetValue<string>());
    }

    [Fact]
    public async Task Proposals_accepted_at_once_by_one_patient_through_two_gateways_leave_at_most_the_limit_open()
    {
        const int Limit = 2;
        const int Proposals = 6;
        var world = await BookingWorld.CreateAsync(Store, slots: Proposals + 1);
        var limit = ("Booking:MaxOpenBookingsPerPatient", Limit.ToString(CultureInfo.InvariantCulture));
        GatewayServer[] gateways = [await GatewayAsync(limit), await GatewayAsync(limit, ("Testing:Instance", "second"))];
        AssertNoErrors(await gateways[0].MutateAsync("bookAppointment", "BookAppointmentInput", new { slotIds = new[] { world.SlotId(Proposals) }, patientId = world.Patient.Id }, "appointment { id }"));
        var proposals = new List<Appointment>();
        for (var i = 0; i < Proposals; i++)
        {
            proposals.Add(await ProposeAsync(world, world.Slots[i]));
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answers = proposals.Select(async (p, i) =>
        {
            await start.Task;
            return await gateways[i % 2].MutateAsync("respondToAppointment", "RespondToAppointmentInput",
                new { appointmentId = p.Id, actorId = "Patient/" + world.Patient.Id, participantStatus = "ACCEPTED" }, AppointmentSelection);
        }).ToList();
        start.SetResult();
        var outcomes = await Task.WhenAll(answers);

        var open = (await Store.SearchAllAsync<Appointment>(FhirQuery.For<Appointment>().Where("patient", "Patient/" + world.Patient.Id), None))
            .Where(a => AppointmentSearches.OpenStatuses.Contains(a.Status!.Value)).ToList();
        Assert.True(open.Count <= Limit, $"{open.Count} open appointments against a limit of {Limit}: " + string.Join(" ", outcomes.Select(o => o.ToJsonString())));
        Assert.Equal(Limit - 1, outcomes.Count(o => o["appointment"] is JsonObject));
        Assert.All(outcomes.Where(o => o["appointment"] is null), o => Assert.Contains(Str(o, "errors.0.code"), new[] { "BOOKING_RULE", "CONFLICT" }));
    }

    /// <summary>A proposed appointment over one slot, written by another FHIR client: the patient still has to answer.</summary>
    private async Task<Appointment> ProposeAsync(BookingWorld world, Slot slot) =>
        await Store.CreateAsync(new Appointment
        {
            Status = AppointmentStatus.Proposed,
            Start = slot.Start,
            End = slot.End,
            Slot = [new ResourceReference("Slot/" + slot.Id)],
            Participant =
            [
                Participant("Patient/" + world.Patient.Id, ParticipationStatus.NeedsAction),
                Participant("Practitioner/" + world.Practitioner.Id, ParticipationStatus.Accepted),
                Participant("Location/" + world.Location.Id, ParticipationStatus.Accepted),
            ],
        }, None);

    private static Appointment.ParticipantComponent Participant(string actor, ParticipationStatus status) =>
        new() { Actor = new ResourceReference(actor), Required = Appointment.ParticipantRequired.Required, Status = status };

    private static void AssertNoErrors(JsonNode payload) =>
        Assert.True(payload["errors"]!.AsArray().Count == 0, payload.ToJsonString());
}

/// <summary>On the embedded store.</summary>
public sealed class EmbeddedRulesOnAnswersTests(EmbeddedGatewayFixture fixture) : RulesOnAnswersTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

/// <summary>On Medplum, written with If-Match and undone on failure.</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumCompensatingRulesOnAnswersTests(MedplumFixture medplum) : RulesOnAnswersTests(medplum.Compensating);

/// <summary>On Medplum with transaction Bundles.</summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumTransactionRulesOnAnswersTests(MedplumFixture medplum) : RulesOnAnswersTests(medplum.Transactions);

using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Hl7.Fhir.Model;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Booking;

/// <summary>
/// availability as a Relay connection over HTTP, on both stores: paging with first/after (and last/before) while
/// another client books, options booked by their id exactly as offered (real slots and rule times), and the
/// <c>@oneOf</c> time input's refusals.
/// </summary>
public abstract class AvailabilityConnectionTests(StoreGateways stores) : StoreMatrixTests(stores)
{
    private const string Page = """
        query($input: AvailabilityInput!, $first: Int, $after: String, $last: Int, $before: String) {
          availability(input: $input, first: $first, after: $after, last: $last, before: $before) {
            totalCount edges { cursor node { id start end slotIds source } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          }
        }
        """;

    private const string Booked = "appointment { fhirId status start end slots { id status } }";

    [Fact]
    public async Task Paging_on_from_a_cursor_neither_skips_nor_repeats_while_another_client_books()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 12);
        var input = Window(world);
        var all = Nodes(await PageAsync(input, first: 100));
        Assert.Equal(12, all.Count);

        var first = await PageAsync(input, first: 4);
        Assert.Equal(Ids(all.Take(4)), Ids(Nodes(first)));
        Assert.True(first.At("pageInfo.hasNextPage")!.GetValue<bool>());
        Assert.False(first.At("pageInfo.hasPreviousPage")!.GetValue<bool>());

        // Meanwhile another client books one option of the page already read and one of the next page.
        await BookAsync(new { optionId = Str(all[1], "id") }, world.OtherPatient.Id!);
        await BookAsync(new { slotIds = all[5]["slotIds"]!.AsArray().Select(i => i!.GetValue<string>()).ToArray() }, world.OtherPatient.Id!);

        // The next page starts right after the last option read (an offset cursor would skip option 4).
        var second = await PageAsync(input, first: 4, after: Str(first, "pageInfo.endCursor"));
        Assert.Equal(Ids(new[] { all[4], all[6], all[7], all[8] }), Ids(Nodes(second)));
        Assert.True(second.At("pageInfo.hasPreviousPage")!.GetValue<bool>());

        // Backward from the second page's start: what is still free before it.
        var back = await PageAsync(input, last: 2, before: Str(second, "pageInfo.startCursor"));
        Assert.Equal(Ids(new[] { all[2], all[3] }), Ids(Nodes(back)));

        // Paging on to the end gives every option still offered, once each, in order.
        var seen = Nodes(first).Concat(Nodes(second)).ToList();
        var cursor = Str(second, "pageInfo.endCursor");
        for (var page = await PageAsync(input, first: 4, after: cursor); ; page = await PageAsync(input, first: 4, after: cursor))
        {
            seen.AddRange(Nodes(page));
            if (!page.At("pageInfo.hasNextPage")!.GetValue<bool>())
            {
                break;
            }

            cursor = Str(page, "pageInfo.endCursor");
        }

        var stillOffered = all.Where((_, i) => i is not 1 and not 5).ToList();
        Assert.Equal(Ids(stillOffered), Ids(seen.Where(n => Str(n, "id") != Str(all[1], "id"))));
    }

    [Fact]
    public async Task An_option_id_of_free_slots_books_exactly_the_span_offered_and_is_refused_once_taken()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 6);
        // 45 minutes over 30-minute slots: each option is the hour its two slots make, the span booking takes.
        var options = Nodes(await PageAsync(Window(world) with { DurationMinutes = 45 }, first: 100));
        Assert.All(options, o => Assert.Equal(TimeSpan.FromHours(1), Instant(o, "end") - Instant(o, "start")));
        var option = options[1];

        var booked = await BookAsync(new { optionId = Str(option, "id") }, world.Patient.Id!);
        Assert.Empty(booked["errors"]!.AsArray());
        Assert.Equal((Instant(option, "start"), Instant(option, "end")), (Instant(booked, "appointment.start"), Instant(booked, "appointment.end")));
        Assert.Equal(Ids(option["slotIds"]!.AsArray()), Ids(booked.At("appointment.slots")!.AsArray().Select(s => s!["id"])));
        Assert.All(booked.At("appointment.slots")!.AsArray(), s => Assert.Equal("BUSY", Str(s, "status")));

        // Taken: node answers null, and booking or holding it again is a typed refusal that writes nothing.
        Assert.Null((await NodeAsync(Str(option, "id"))).At("data.node"));
        var again = await BookAsync(new { optionId = Str(option, "id") }, world.OtherPatient.Id!);
        Assert.Equal(("SlotUnavailableError", "SLOT_UNAVAILABLE"), (Str(again, "errors.0.__typename"), Str(again, "errors.0.code")));
        var hold = await (await GatewayAsync()).MutateAsync("holdSlots", "HoldSlotsInput",
            new { time = new { optionId = Str(option, "id") }, patientId = world.OtherPatient.Id }, "appointment { fhirId }");
        Assert.Equal("SLOT_UNAVAILABLE", Str(hold, "errors.0.code"));
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("slot", "Slot/" + world.SlotId(2)), CancellationToken.None));

        // An option still free is held by its id, exactly its span.
        var free = options[^1];
        var held = await (await GatewayAsync()).MutateAsync("holdSlots", "HoldSlotsInput",
            new { time = new { optionId = Str(free, "id") }, patientId = world.OtherPatient.Id }, "appointment { status start end }");
        Assert.Equal(("PENDING", Instant(free, "start"), Instant(free, "end")), (Str(held, "appointment.status"), Instant(held, "appointment.start"), Instant(held, "appointment.end")));
    }

    [Fact]
    public async Task An_option_whose_slots_are_gone_is_no_longer_offered_and_booking_it_is_refused()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 3);
        var options = Nodes(await PageAsync(Window(world), first: 100));
        var node = await NodeAsync(Str(options[0], "id"));
        Assert.Equal(Str(options[0], "id"), Str(node, "data.node.id"));

        var deleted = await (await GatewayAsync()).MutateAsync("deleteSlots", "DeleteSlotsInput", new { slotIds = new[] { world.SlotId(0) } }, "deletedSlotIds");
        Assert.Empty(deleted["errors"]!.AsArray());
        Assert.Null((await NodeAsync(Str(options[0], "id"))).At("data.node"));
        var refused = await BookAsync(new { optionId = Str(options[0], "id") }, world.Patient.Id!);
        Assert.Equal("SLOT_UNAVAILABLE", Str(refused, "errors.0.code"));
        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), CancellationToken.None));
    }

    [Fact]
    public async Task A_rule_option_id_books_exactly_its_time_once_and_a_retry_with_its_clientMutationId_answers_the_same_appointment()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 0);
        var gateway = await GatewayAsync();
        var scheduleId = Str(await gateway.MutateAsync("createSchedule", "CreateScheduleInput",
            new { actorIds = new[] { "Practitioner/" + world.Practitioner.Id } }, "schedule { fhirId }"), "schedule.fhirId");
        var set = await gateway.MutateAsync("setAvailability", "SetAvailabilityInput", new
        {
            scheduleId,
            timeZone = "America/New_York",
            availableTimes = new[] { new { daysOfWeek = new[] { "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY" }, startTime = "09:00", endTime = "12:00" } },
            slotMinutes = 60,
        }, "schedule { fhirId }");
        Assert.Empty(set["errors"]!.AsArray());
        var window = new AvailabilityWindow([scheduleId], "2027-03-15T00:00:00-04:00", "2027-03-16T00:00:00-04:00", null);
        var options = Nodes(await PageAsync(window, first: 100));
        Assert.Equal(3, options.Count);
        Assert.All(options, o => Assert.Equal("RULE", Str(o, "source")));
        var option = options[1];
        Assert.Equal(Str(option, "start"), Str(await NodeAsync(Str(option, "id")), "data.node.start"));

        var input = new { time = new { optionId = Str(option, "id") }, patientId = world.Patient.Id, clientMutationId = "rule-" + scheduleId };
        var booked = await gateway.MutateAsync("bookAppointment", "BookAppointmentInput", input, Booked);
        Assert.Empty(booked["errors"]!.AsArray());
        Assert.Equal("2027-03-15T10:00:00-04:00", Str(booked, "appointment.start"));
        Assert.Equal("2027-03-15T11:00:00-04:00", Str(booked, "appointment.end"));
        var retried = await gateway.MutateAsync("bookAppointment", "BookAppointmentInput", input, Booked);
        Assert.Equal(Str(booked, "appointment.fhirId"), Str(retried, "appointment.fhirId"));

        Assert.Null((await NodeAsync(Str(option, "id"))).At("data.node"));
        Assert.Equal(2, Nodes(await PageAsync(window, first: 100)).Count);
        var again = await BookAsync(new { optionId = Str(option, "id") }, world.OtherPatient.Id!);
        Assert.Equal("SLOT_UNAVAILABLE", Str(again, "errors.0.code"));
        Assert.Single(await Store.SearchAllAsync(new FhirQuery("Slot").Where("schedule", "Schedule/" + scheduleId), CancellationToken.None));

        // Rescheduled onto another option by its id: exactly that time.
        var moved = await gateway.MutateAsync("rescheduleAppointment", "RescheduleAppointmentInput",
            new { appointmentId = Str(booked, "appointment.fhirId"), time = new { optionId = Str(options[2], "id") } }, "appointment { start end }");
        Assert.Empty(moved["errors"]!.AsArray());
        Assert.Equal(("2027-03-15T11:00:00-04:00", "2027-03-15T12:00:00-04:00"), (Str(moved, "appointment.start"), Str(moved, "appointment.end")));
    }

    [Fact]
    public async Task The_time_is_exactly_one_of_optionId_and_slotIds_and_each_refusal_says_so()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 2);
        var gateway = await GatewayAsync();
        var option = Str(Nodes(await PageAsync(Window(world), first: 1))[0], "id");
        var slot = GlobalId.Encode("Slot", world.SlotId(0));
        const string Mutation = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { fhirId } errors { __typename ... on ValidationError { field rule message } } } }";

        // Both, neither, or a null one inside time: refused before anything runs, naming the one-of input and its fields.
        foreach (var time in new object?[] { new { optionId = option, slotIds = new[] { slot } }, new { }, new { optionId = (string?)null } })
        {
            var viaVariable = await gateway.QueryAsync(Mutation, new { input = new { time, patientId = world.Patient.Id } });
            AssertOneOfRefusal(viaVariable);
        }

        foreach (var time in new[] { $$"""{ optionId: "{{option}}", slotIds: ["{{slot}}"] }""", "{ }", "{ slotIds: null }" })
        {
            AssertOneOfRefusal(await gateway.QueryAsync(
                $$"""mutation { bookAppointment(input: { time: {{time}}, patientId: "{{world.Patient.Id}}" }) { errors { __typename } } }"""));
        }

        // The deprecated slotIds beside time, or no time at all: a ValidationError on field time, nothing booked.
        foreach (var input in new object[] { new { time = new { optionId = option }, slotIds = new[] { slot }, patientId = world.Patient.Id }, new { patientId = world.Patient.Id } })
        {
            var answer = await gateway.QueryAsync(Mutation, new { input });
            Assert.True(answer["errors"] is null, answer.ToJsonString());
            Assert.Equal(("ValidationError", "time", "one-of"), (Str(answer, "data.bookAppointment.errors.0.__typename"), Str(answer, "data.bookAppointment.errors.0.field"), Str(answer, "data.bookAppointment.errors.0.rule")));
        }

        Assert.Empty(await Store.SearchAllAsync(new FhirQuery("Appointment").Where("patient", "Patient/" + world.Patient.Id), CancellationToken.None));

        // An entry of a sort list sets one key.
        var sort = await gateway.QueryAsync("query($s: ID!) { schedule(id: $s) { slots(order: [{ start: ASC, status: DESC }]) { totalCount } } }", new { s = world.Schedule.Id });
        Assert.True(sort["data"] is null && sort.At("errors.0.extensions.code")?.GetValue<string>() == "ONE_OF_INPUT_VALUES" &&
            sort.At("errors.0.message")!.GetValue<string>().Contains("SlotSortInput is a @oneOf input", StringComparison.Ordinal), sort.ToJsonString());

        // Introspection tells clients which inputs are one-of.
        var types = await gateway.QueryAsync("""{ b: __type(name: "BookingTimeInput") { isOneOf } s: __type(name: "SlotSortInput") { isOneOf } i: __type(name: "BookAppointmentInput") { isOneOf } }""");
        Assert.True(types.At("data.b.isOneOf")!.GetValue<bool>() && types.At("data.s.isOneOf")!.GetValue<bool>() && !types.At("data.i.isOneOf")!.GetValue<bool>(), types.ToJsonString());
    }

    [Fact]
    public async Task A_cursor_of_another_list_or_an_id_of_another_kind_is_refused_with_a_typed_error()
    {
        var world = await BookingWorld.CreateAsync(Store, slots: 2);
        var gateway = await GatewayAsync();
        var offset = await gateway.QueryAsync("query($s: ID!) { schedule(id: $s) { slots(first: 1) { pageInfo { endCursor } } } }", new { s = world.Schedule.Id });
        var cursor = Str(offset, "data.schedule.slots.pageInfo.endCursor");
        var paged = await gateway.QueryAsync(Page, new { input = Window(world), first = 1, after = cursor });
        Assert.True(paged.At("errors.0.extensions.code")?.GetValue<string>() == "BAD_USER_INPUT" && paged.At("errors.0.message")!.GetValue<string>().Contains("not a cursor of availability", StringComparison.Ordinal), paged.ToJsonString());

        var wrong = await gateway.QueryAsync("mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { errors { __typename } } }",
            new { input = new { time = new { optionId = GlobalId.Encode("Slot", world.SlotId(0)) }, patientId = world.Patient.Id } });
        Assert.True(wrong["data"] is null && wrong.At("errors.0.extensions.code")?.GetValue<string>() == "WRONG_ID_TYPE", wrong.ToJsonString());
    }

    [Fact]
    public async Task Options_asked_through_nodes_are_priced_as_the_availability_searches_they_run()
    {
        var at = DateTimeOffset.UtcNow.AddDays(2);
        var ids = Enumerable.Range(0, 40).Select(i => GlobalId.EncodeOption(new Scheduling.Schema.Booking.OfferedTime("no-such-schedule", at.AddHours(i), at.AddHours(i).AddMinutes(30)))).ToList();
        var answer = await (await GatewayAsync()).QueryAsync("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", new { ids });
        Assert.True(answer["data"] is null && answer.At("errors.0.extensions.code")?.GetValue<string>() == "TOO_MANY_FHIR_SEARCHES", answer.ToJsonString());

        var few = await (await GatewayAsync()).QueryAsync("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", new { ids = ids.Take(3).ToList() });
        Assert.True(few["errors"] is null && few.At("data.nodes")!.AsArray().All(n => n is null), few.ToJsonString());
    }

    private static void AssertOneOfRefusal(JsonObject answer)
    {
        Assert.True(answer["data"] is null, answer.ToJsonString());
        var error = Assert.Single(answer["errors"]!.AsArray())!;
        Assert.Equal("ONE_OF_INPUT_VALUES", error.At("extensions.code")?.GetValue<string>());
        Assert.Contains("BookingTimeInput is a @oneOf input: give exactly one of optionId, slotIds, not null", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<JsonNode> PageAsync(AvailabilityWindow input, int? first = null, string? after = null, int? last = null, string? before = null)
    {
        var response = await (await GatewayAsync()).QueryAsync(Page, new { input, first, after, last, before });
        Assert.True(response["errors"] is null, response.ToJsonString());
        return response.At("data.availability")!;
    }

    private async Task<JsonObject> NodeAsync(string id) =>
        await (await GatewayAsync()).QueryAsync("query($id: ID!) { node(id: $id) { id ... on AvailabilityOption { start end } } }", new { id });

    private async Task<JsonNode> BookAsync(object time, string patientId) =>
        await (await GatewayAsync()).MutateAsync("bookAppointment", "BookAppointmentInput", new { time, patientId }, Booked);

    private static AvailabilityWindow Window(BookingWorld world) =>
        new([world.Schedule.Id!], GraphQLMutations.Iso(world.Slots[0].Start!.Value.AddHours(-1)), GraphQLMutations.Iso(world.Slots[^1].End!.Value.AddHours(1)), null);

    private static List<JsonNode> Nodes(JsonNode connection) => [.. connection["edges"]!.AsArray().Select(e => e!["node"]!)];

    private static List<string> Ids(IEnumerable<JsonNode?> nodes) => [.. nodes.Select(n => n is JsonValue ? n.GetValue<string>() : Str(n, "id"))];

    private static DateTimeOffset Instant(JsonNode? node, string path) => DateTimeOffset.Parse(Str(node, path), CultureInfo.InvariantCulture);

    private static string Str(JsonNode? node, string path) => GraphQLMutations.Str(node, path);

    private sealed record AvailabilityWindow(
        [property: JsonPropertyName("scheduleIds")] string[] ScheduleIds,
        [property: JsonPropertyName("start")] string Start,
        [property: JsonPropertyName("end")] string End,
        [property: JsonPropertyName("durationMinutes")] int? DurationMinutes);
}

public sealed class EmbeddedAvailabilityConnectionTests(EmbeddedGatewayFixture fixture) : AvailabilityConnectionTests(fixture.Stores), IClassFixture<EmbeddedGatewayFixture>;

[Collection(MedplumCollection.Name)]
public sealed class MedplumAvailabilityConnectionTests(MedplumFixture medplum) : AvailabilityConnectionTests(medplum.Compensating);

using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Schema.Identity;
using Scheduling.Testing;

namespace Scheduling.Tests.Clients;

/// <summary>
/// The client tools front-end and mobile teams use, run for real (tests/clients, one Node process per tool) against
/// this gateway on Kestrel over the embedded FHIR store: relay-compiler and relay-runtime, GraphQL Code Generator with
/// TypeScript's strict checker, Apollo Client 4, urql with graphcache, graphql-js 16 and graphql-eslint. Each reads
/// the schema the running gateway serves (introspection), never the snapshot file.
/// </summary>
public sealed class ClientToolsTests(ClientToolsTests.Gateway fixture) : IClassFixture<ClientToolsTests.Gateway>
{
    private static readonly TimeSpan ToolTime = TimeSpan.FromMinutes(4);

    /// <summary>The types that implement Node: the entities, availability options, webhooks and their deliveries.</summary>
    private static string[] NodeTypes => [.. GlobalId.NodeTypes.Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Relay_compiles_the_operations_and_its_runtime_refetches_an_appointment_through_node_and_pages_a_schedules_slots()
    {
        var world = await fixture.WorldAsync();
        var appointmentId = await fixture.BookAsync(world, 0);

        var arguments = fixture.BookingArguments(world, GlobalId.Encode("Slot", world.SlotId(0)));
        arguments["appointmentId"] = appointmentId;

        var result = await RunAsync("relay.mjs", arguments);

        Assert.True(result.GetProperty("compilerExitCode").GetInt32() == 0, result.GetProperty("compilerOutput").GetString());
        var artifacts = Strings(result, "artifacts");
        Assert.Contains("AppointmentCardRefetchQuery.graphql.js", artifacts);
        Assert.Contains("ScheduleSlotsPaginationQuery.graphql.js", artifacts);
        Assert.Contains("WeekViewQuery.graphql.js", artifacts);
        Assert.Contains("AvailabilityListPaginationQuery.graphql.js", artifacts);

        // @refetchable on Appointment became a query over Query.node, and relay-runtime read the appointment back.
        Assert.Contains("node(id: $id)", result.GetProperty("refetchQueryText").GetString(), StringComparison.Ordinal);
        var card = result.GetProperty("card");
        Assert.Equal((appointmentId, "BOOKED", 1), (card.GetProperty("id").GetString(), card.GetProperty("status").GetString(), card.GetProperty("slots").GetInt32()));
        Assert.Equal("Appointment", result.GetProperty("storedTypename").GetString());

        // loadNext: the second page is merged after the first under the @connection key.
        var slots = world.Slots.Select(s => GlobalId.Encode("Slot", s.Id!)).ToArray();
        Assert.Equal(slots[..2], Strings(result, "slotsBeforeLoadNext"));
        Assert.Equal(slots[..4], Strings(result, "slotsAfterLoadNext"));

        // The same over availability: the free slots after the booked one, two pages merged.
        var starts = world.Slots.Skip(1).Select(s => s.Start!.Value).ToArray();
        Assert.Equal(starts[..2], Strings(result, "optionsBeforeLoadNext").Select(DateTimeOffset.Parse));
        Assert.Equal(starts[..4], Strings(result, "optionsAfterLoadNext").Select(DateTimeOffset.Parse));
    }

    [Fact]
    public async Task Codegen_output_passes_tsc_strict_with_a_week_view_that_asserts_nothing()
    {
        var result = await RunAsync("codegen.mjs", new { url = fixture.Server.GraphQLUrl, token = fixture.Token });

        Assert.True(result.GetProperty("strict").GetBoolean());
        Assert.Contains("gql/graphql.ts", Strings(result, "generatedFiles"));
        Assert.Contains("possible-types.ts", Strings(result, "generatedFiles"));
        Assert.Equal(["apollo-week.ts", "week-view.ts"], Strings(result, "checkedFiles"));
        Assert.Empty(Strings(result, "diagnostics"));
        // No non-null assertion, cast or any in the hand-written files.
        Assert.Empty(Strings(result, "escapes"));
    }

    [Fact]
    public async Task Apollo_updates_the_cached_slot_after_a_booking_without_a_refetch_and_reads_typed_errors_through_Error()
    {
        var world = await fixture.WorldAsync();
        var slotId = GlobalId.Encode("Slot", world.SlotId(0));

        var result = await RunAsync("apollo.mjs", fixture.BookingArguments(world, slotId));

        Assert.Contains("SlotUnavailableError", Strings(result, "possibleTypesOfError"));
        Assert.Equal(NodeTypes, Strings(result, "possibleTypesOfNode").Order(StringComparer.Ordinal));
        var booked = result.GetProperty("booked");
        Assert.Equal(("BOOKED", "BUSY"), (booked.GetProperty("status").GetString(), booked.GetProperty("slotStatus").GetString()));

        // The watched week view went from FREE to BUSY from the mutation's payload alone: one request for the booking.
        var seen = Strings(result, "watchedSlotStatuses");
        Assert.Equal(["FREE", "BUSY"], seen.Where(s => s != "null").Distinct());
        Assert.Equal("BUSY", result.GetProperty("cachedSlotStatus").GetString());
        Assert.Equal(1, result.GetProperty("requestsForTheBooking").GetInt32());

        var refused = result.GetProperty("refusedError");
        Assert.Equal(("SlotUnavailableError", "SLOT_UNAVAILABLE"), (refused.GetProperty("typename").GetString(), refused.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(refused.GetProperty("message").GetString()));
        Assert.Equal([slotId], Strings(refused, "slotIds"));
        Assert.Empty(Strings(result, "warnings"));

        // What the README warns of: without possibleTypes, Apollo cannot tell that SlotUnavailableError is an Error.
        var bare = result.GetProperty("refusedErrorWithoutPossibleTypes");
        Assert.Equal(("SlotUnavailableError", JsonValueKind.Null), (bare.GetProperty("typename").GetString(), bare.GetProperty("code").ValueKind));
    }

    [Fact]
    public async Task Urql_graphcache_keys_every_entity_by_its_global_id_without_warnings_and_a_booking_updates_the_cache()
    {
        var world = await fixture.WorldAsync();
        var slotId = GlobalId.Encode("Slot", world.SlotId(0));

        var result = await RunAsync("urql.mjs", fixture.BookingArguments(world, slotId));

        // Keys from the schema: the Node types by id, every other object type embedded; no type has an id but no Node.
        Assert.Equal(NodeTypes, Strings(result, "keyedById").Order(StringComparer.Ordinal));
        Assert.Empty(Strings(result, "withIdButNoNode"));
        Assert.Empty(Strings(result, "warnings"));
        Assert.Equal("{}", result.GetProperty("operationErrors").GetRawText());

        Assert.Equal(["FREE", "BUSY"], Strings(result, "watchedSlotStatuses").Where(s => s != "null").Distinct());
        Assert.Equal(1, result.GetProperty("requestsForTheBooking").GetInt32());
        Assert.Equal("Appointment", result.GetProperty("detailsTypename").GetString());
        var refused = result.GetProperty("refusedError");
        Assert.Equal(("SlotUnavailableError", "SLOT_UNAVAILABLE"), (refused.GetProperty("typename").GetString(), refused.GetProperty("code").GetString()));
        // The cancellation's payload freed the slot in the cache too.
        Assert.Equal("CANCELLED", result.GetProperty("cancelledStatus").GetString());
        Assert.Equal("FREE", result.GetProperty("slotAfterCancelFromCache").GetString());
    }

    [Fact]
    public async Task Graphql_js_16_builds_the_client_schema_with_every_introspection_option_and_it_is_the_snapshot()
    {
        var result = await RunAsync("graphql16-client-schema.mjs", new { url = fixture.Server.GraphQLUrl, token = fixture.Token });

        Assert.StartsWith("16.", result.GetProperty("graphqlVersion").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Scheduling over FHIR R4", result.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("https://scalars.graphql.org/andimarek/date-time", result.GetProperty("specifiedByURLs").GetProperty("DateTime").GetString());
        Assert.Equal(Strings(result, "directives"), Strings(result, "directivesWithIsRepeatable"));
        Assert.Superset(new HashSet<string> { "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION" }, Strings(result, "deprecatedLocations").ToHashSet());
        // Everything schema.graphql declares came through introspection: descriptions, deprecations, @specifiedBy.
        Assert.Empty(Strings(result, "differencesFromSnapshot"));
    }

    [Fact]
    public async Task Graphql_eslint_schema_rules_pass_on_the_served_schema()
    {
        var result = await RunAsync("graphql-eslint.mjs", new { url = fixture.Server.GraphQLUrl, token = fixture.Token });

        Assert.Equal(6, Strings(result, "rules").Length);
        var problems = Strings(result, "problems");
        Assert.Empty(problems);
    }

    private static async Task<JsonElement> RunAsync(string script, object arguments)
    {
        await using var node = await NodeProcess.StartClientToolAsync(script, JsonSerializer.Serialize(arguments));
        var result = await node.NextAsync(ToolTime) ?? throw new InvalidOperationException($"{script} gave no result: {node.Stderr}");
        Assert.True(result.GetProperty("event").GetString() == "result", result.GetRawText());
        return result;
    }

    /// <summary>A string array of the result; a JSON null is "null".</summary>
    private static string[] Strings(JsonElement result, string property) =>
        [.. result.GetProperty(property).EnumerateArray().Select(e => e.GetString() ?? "null")];

    /// <summary>The gateway on Kestrel over the embedded store, with signed tokens; a fresh booking world per test.</summary>
    public sealed class Gateway : IAsyncLifetime
    {
        public GatewayServer Server { get; private set; } = null!;

        public string Token { get; } = TestTokens.Scheduler();

        public async Task InitializeAsync() => Server = await GatewayServer.StartAsync(TestTokens.GatewaySettings());

        public async Task DisposeAsync() => await Server.DisposeAsync();

        public Task<BookingWorld> WorldAsync() => BookingWorld.CreateAsync(Server.Services.GetRequiredService<InMemoryFhirStore>());

        public async Task<string> BookAsync(BookingWorld world, int slot)
        {
            var answer = await Server.QueryAsync(
                "mutation($slot: ID!, $patient: ID!) { bookAppointment(input: { slotIds: [$slot], patientId: $patient }) { appointment { id } errors { __typename } } }",
                new { slot = world.SlotId(slot), patient = world.Patient.Id }, Token);
            return answer.At("data.bookAppointment.appointment.id")?.GetValue<string>() ?? throw new InvalidOperationException(answer.ToJsonString());
        }

        /// <summary>What the cache scripts need: the world's schedule, its day, one of its slots and a patient.</summary>
        public Dictionary<string, object?> BookingArguments(BookingWorld world, string slotId)
        {
            var day = world.Slots[0].Start!.Value.UtcDateTime.Date;
            return new()
            {
                ["url"] = Server.GraphQLUrl,
                ["token"] = Token,
                ["scheduleId"] = GlobalId.Encode("Schedule", world.Schedule.Id!),
                ["practitionerId"] = GlobalId.Encode("Practitioner", world.Practitioner.Id!),
                ["slotId"] = slotId,
                ["patientId"] = GlobalId.Encode("Patient", world.Patient.Id!),
                ["from"] = new DateTimeOffset(day, TimeSpan.Zero).ToString("O"),
                ["to"] = new DateTimeOffset(day.AddDays(1), TimeSpan.Zero).ToString("O"),
            };
        }
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Scheduling.Testing;

namespace Scheduling.Tests.Queries;

public sealed class EmbeddedGatewayTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private GatewayServer Gateway => fixture.Gateway;

    [Fact]
    public async Task Dr_Alice_Smiths_schedule_has_the_two_June_3rd_slots_and_Homers_Fall_Assessment()
    {
        var response = await Gateway.QueryAsync("""
            {
              schedule(id: "alice-smith-schedule") {
                actors { ... on Practitioner { displayName } }
                slots(where: { start: { gte: "2024-06-03T00:00:00-04:00", lt: "2024-06-04T00:00:00-04:00" } }) {
                  totalCount
                  nodes {
                    status start end
                    appointments { nodes { description status patient { displayName } practitioners { displayName } } }
                  }
                }
              }
            }
            """);

        Assert.Null(response["errors"]);
        var schedule = response.At("data.schedule")!;
        Assert.Equal("Dr. Alice Smith", schedule.At("actors.0.displayName")!.GetValue<string>());
        var slots = schedule.At("slots.nodes")!.AsArray();
        Assert.Equal(2, slots.Count);
        Assert.Equal(["2024-06-03T11:00:00-04:00", "2024-06-03T11:30:00-04:00"], slots.Select(s => s!["start"]!.GetValue<string>()));
        Assert.Equal(["2024-06-03T11:30:00-04:00", "2024-06-03T12:00:00-04:00"], slots.Select(s => s!["end"]!.GetValue<string>()));
        foreach (var slot in slots)
        {
            Assert.Equal("BUSY", slot!["status"]!.GetValue<string>());
            var appointment = Assert.Single(slot.At("appointments.nodes")!.AsArray())!;
            Assert.Equal("Fall Assessment", appointment["description"]!.GetValue<string>());
            Assert.Equal("BOOKED", appointment["status"]!.GetValue<string>());
            Assert.Equal("Homer Simpson", appointment.At("patient.displayName")!.GetValue<string>());
            Assert.Equal("Dr. Alice Smith", appointment.At("practitioners.0.displayName")!.GetValue<string>());
        }
    }

    [Fact]
    public async Task An_unknown_id_gives_null_without_an_error()
    {
        var response = await Gateway.QueryAsync("query($id: ID!) { schedule(id: $id) { id } slot(id: $id) { id } }", new { id = "no-such-schedule" });
        Assert.Null(response["errors"]);
        Assert.Null(response.At("data.schedule"));
        Assert.Null(response.At("data.slot"));
    }

    [Theory]
    [InlineData("1&_include=*")]
    [InlineData("alice-smith-schedule,robert-jones-schedule")]
    [InlineData("../Schedule/alice-smith-schedule")]
    public async Task A_malformed_id_is_refused_with_INVALID_ID_before_any_read(string id)
    {
        var response = await Gateway.QueryAsync("query($id: ID!) { schedule(id: $id) { id } }", new { id });
        Assert.Null(response["data"]);
        Assert.Equal("INVALID_ID", response.At("errors.0.extensions.code")?.GetValue<string>());
    }

    [Fact]
    public async Task Free_slots_in_the_coming_weeks_page_forward_in_start_order()
    {
        const string query = """
            query($after: String) {
              slots(where: { scheduleIds: ["robert-jones-schedule"], status: [FREE] }, first: 5, after: $after) {
                totalCount
                pageInfo { hasNextPage hasPreviousPage endCursor }
                edges { cursor node { id status start schedule { fhirId } } }
              }
            }
            """;
        var first = await Gateway.QueryAsync(query, new { after = (string?)null });
        var second = await Gateway.QueryAsync(query, new { after = first.At("data.slots.pageInfo.endCursor")!.GetValue<string>() });

        Assert.True(first.At("data.slots.totalCount")!.GetValue<int>() > 50, "two weeks of free weekday slots are seeded");
        Assert.True(first.At("data.slots.pageInfo.hasNextPage")!.GetValue<bool>());
        Assert.False(first.At("data.slots.pageInfo.hasPreviousPage")!.GetValue<bool>());
        Assert.True(second.At("data.slots.pageInfo.hasPreviousPage")!.GetValue<bool>());

        var nodes = first.At("data.slots.edges")!.AsArray().Concat(second.At("data.slots.edges")!.AsArray())
            .Select(e => e!["node"]!).ToList();
        Assert.Equal(10, nodes.Select(n => n["id"]!.GetValue<string>()).Distinct().Count());
        Assert.All(nodes, n => Assert.Equal("FREE", n["status"]!.GetValue<string>()));
        Assert.All(nodes, n => Assert.Equal("robert-jones-schedule", n.At("schedule.fhirId")!.GetValue<string>()));
        var starts = nodes.Select(n => DateTimeOffset.Parse(n["start"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(starts.Order(), starts);
        Assert.True(starts[0] > DateTimeOffset.UtcNow, "seeded availability starts after the day the gateway started");
    }

    [Fact]
    public async Task Practitioners_by_name_with_their_schedules_and_patients_by_identifier()
    {
        var response = await Gateway.QueryAsync("""
            {
              practitioners(name: "ALI") { nodes { id displayName schedules { nodes { fhirId serviceType { text } } } } }
              patients(identifier: "http://example.org/fhir/mrn|MRN-HOMER-SIMPSON") { nodes { displayName birthDate gender } }
            }
            """);
        Assert.Null(response["errors"]);
        var alice = Assert.Single(response.At("data.practitioners.nodes")!.AsArray())!;
        Assert.Equal("Dr. Alice Smith", alice["displayName"]!.GetValue<string>());
        Assert.Equal("alice-smith-schedule", alice.At("schedules.nodes.0.fhirId")!.GetValue<string>());
        var homer = Assert.Single(response.At("data.patients.nodes")!.AsArray())!;
        Assert.Equal("1956-05-12", homer["birthDate"]!.GetValue<string>());
        Assert.Equal("MALE", homer["gender"]!.GetValue<string>());
    }

    [Fact]
    public async Task Nested_lists_take_the_same_filters_as_root_lists()
    {
        var response = await Gateway.QueryAsync("""
            {
              alice: practitioner(id: "alice-smith") { schedules(serviceType: "fall-assessment", active: true) { nodes { fhirId } } }
              bob: practitioner(id: "robert-jones") { schedules(serviceType: "fall-assessment") { nodes { id } } }
              root: schedules(actor: "Practitioner/alice-smith", serviceType: "fall-assessment") { nodes { fhirId } }
              homer: patient(id: "homer-simpson") {
                appointments(where: { status: [BOOKED], date: { lt: "2024-06-04T00:00:00Z" } }, order: [{ start: DESC }]) { nodes { fhirId } }
              }
            }
            """);
        Assert.Null(response["errors"]);
        Assert.Equal("alice-smith-schedule", Assert.Single(response.At("data.alice.schedules.nodes")!.AsArray())!["fhirId"]!.GetValue<string>());
        Assert.Empty(response.At("data.bob.schedules.nodes")!.AsArray());
        Assert.Equal("alice-smith-schedule", Assert.Single(response.At("data.root.nodes")!.AsArray())!["fhirId"]!.GetValue<string>());
        Assert.Equal("homer-fall-assessment", Assert.Single(response.At("data.homer.appointments.nodes")!.AsArray())!["fhirId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_date_time_without_an_offset_is_refused_before_execution()
    {
        using var response = await Gateway.PostAsync("""{ slots(where: { start: { gte: "2024-06-03T11:00:00" } }) { totalCount } }""");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Null(body["data"]);
        Assert.Contains("DateTime", body.At("errors.0.message")!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_this_API_did_not_issue_is_a_user_error_on_that_field()
    {
        var response = await Gateway.QueryAsync("""{ slots(after: "not-a-cursor") { totalCount } practitioner(id: "alice-smith") { displayName } }""");
        Assert.Equal("BAD_USER_INPUT", response.At("errors.0.extensions.code")!.GetValue<string>());
        Assert.Equal("slots", response.At("errors.0.path.0")!.GetValue<string>());
        Assert.Null(response.At("data.slots"));
        Assert.Equal("Dr. Alice Smith", response.At("data.practitioner.displayName")!.GetValue<string>());
    }
}

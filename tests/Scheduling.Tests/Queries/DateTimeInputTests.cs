using System.Text.Json.Nodes;
using Scheduling.Schema.Common;
using Scheduling.Testing;

namespace Scheduling.Tests.Queries;

/// <summary>A DateTime without its offset is refused saying so, with its own code, however it is sent.</summary>
public sealed class DateTimeInputTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    private const string SlotsFrom = """{ schedule(id: "alice-smith-schedule") { slots(where: { start: { gte: "VALUE" } }) { totalCount } } }""";
    private const string SlotsFromVariable = """query($from: DateTime!) { schedule(id: "alice-smith-schedule") { slots(where: { start: { gte: $from } }) { totalCount } } }""";
    private const string SlotsWhere = """query($where: SlotFilterInput) { schedule(id: "alice-smith-schedule") { slots(where: $where) { totalCount } } }""";

    public static TheoryData<string> WithoutOffset => ["2024-06-03T00:00:00", "2024-06-03T11:00", "2024-06-03T11:00:00.250"];

    [Theory]
    [MemberData(nameof(WithoutOffset))]
    public async Task As_a_literal(string value) =>
        AssertOffsetMissing(await fixture.Gateway.QueryAsync(SlotsFrom.Replace("VALUE", value, StringComparison.Ordinal)), value, "Invalid literal for argument 'where' of field 'slots'.");

    [Theory]
    [MemberData(nameof(WithoutOffset))]
    public async Task As_a_variable(string value) =>
        AssertOffsetMissing(await fixture.Gateway.QueryAsync(SlotsFromVariable, new { from = value }), value, "Variable '$from' is invalid.");

    [Theory]
    [MemberData(nameof(WithoutOffset))]
    public async Task Inside_an_input_object_variable(string value) =>
        AssertOffsetMissing(await fixture.Gateway.QueryAsync(SlotsWhere, new { where = new { start = new { gte = value } } }), value, "Variable '$where.start.gte' is invalid.");

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("2024-06-03")]
    [InlineData("2024-13-45T99:00:00Z")]
    public async Task Something_that_is_no_date_time_is_refused_as_such(string value)
    {
        foreach (var response in new[]
        {
            await fixture.Gateway.QueryAsync(SlotsFrom.Replace("VALUE", value, StringComparison.Ordinal)),
            await fixture.Gateway.QueryAsync(SlotsFromVariable, new { from = value }),
        })
        {
            var error = Assert.Single(response["errors"]!.AsArray())!;
            Assert.Equal(IsoDateTimeGraphType.InvalidCode, error.At("extensions.code")?.GetValue<string>());
            Assert.Contains($"'{value}' is not a DateTime: expected ISO-8601 with a UTC offset", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("2024-06-03T00:00:00-04:00")]
    [InlineData("2024-06-03T04:00:00Z")]
    public async Task With_its_offset_it_is_taken(string value)
    {
        var literal = await fixture.Gateway.QueryAsync(SlotsFrom.Replace("VALUE", value, StringComparison.Ordinal));
        var variable = await fixture.Gateway.QueryAsync(SlotsFromVariable, new { from = value });
        Assert.Null(literal["errors"]);
        Assert.True(literal.At("data.schedule.slots.totalCount")!.GetValue<int>() > 0);
        Assert.Equal(literal.ToJsonString(), variable.ToJsonString());
    }

    private static void AssertOffsetMissing(JsonObject response, string value, string where)
    {
        Assert.Null(response["data"]);
        var error = Assert.Single(response["errors"]!.AsArray())!;
        Assert.Equal(IsoDateTimeGraphType.OffsetMissingCode, error.At("extensions.code")?.GetValue<string>());
        Assert.Equal($"{where} DateTime '{value}' has no UTC offset: add one, e.g. 2024-06-03T11:00:00-04:00 or 2024-06-03T15:00:00Z (a time means nothing without its time zone).",
            error["message"]!.GetValue<string>());
        Assert.NotNull(error["locations"]);
    }
}

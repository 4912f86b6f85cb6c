using GraphQL.Types;
using GraphQLParser;
using GraphQLParser.AST;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Execution;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Scheduling.Tests.Queries;
using static Scheduling.Tests.Booking.SeriesBookingTests;

namespace Scheduling.Tests.Booking;

/// <summary>
/// Series in a list are read in one search (<see cref="Schema.DataLoading.SeriesMembersDataLoader"/>), counted on
/// Medplum's request log: three occurrences of three series, their series and occurrences: 1 member search (3 with a
/// per-series read).
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class MedplumSeriesBatchReadTests(MedplumFixture medplum)
{
    [Fact]
    public async Task Three_series_reached_from_three_appointments_are_one_member_search()
    {
        var gateway = await medplum.GatewayAsync(("Fhir:UseTransactions", "true"));
        var occurrences = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (world, scheduleId) = await RuleScheduleAsync(medplum.Store, gateway);
            var booked = await BookSeriesAsync(gateway, scheduleId, world.Patient.Id!, FirstTuesdayAcrossDaylightSaving(), 2);
            AssertNoErrors(booked);
            occurrences.Add(GraphQLMutations.Str(booked, "occurrences.0.fhirId"));
        }

        await medplum.Server.ResetCountsAsync();
        var answer = await gateway.QueryAsync(
            """
            query($a: ID!, $b: ID!, $c: ID!) {
              a: appointment(id: $a) { ...S } b: appointment(id: $b) { ...S } c: appointment(id: $c) { ...S }
            }
            fragment S on Appointment { series { timeZone occurrences { nodes { fhirId series { startTime } } } } }
            """,
            new { a = occurrences[0], b = occurrences[1], c = occurrences[2] });

        Assert.True(answer["errors"] is null, answer["errors"]?.ToJsonString());
        foreach (var alias in new[] { "a", "b", "c" })
        {
            Assert.Equal(2, answer.At($"data.{alias}.series.occurrences.nodes")!.AsArray().Count);
        }

        var memberSearches = (await medplum.Server.RequestsAsync()).Count(r => r.Contains("identifier=", StringComparison.Ordinal) && r.Contains("Appointment", StringComparison.Ordinal));
        Assert.Equal(1, memberSearches);
    }
}

/// <summary>The operation-size rule prices <c>series</c> (its members' search), so nested series walks count against the search budget.</summary>
public sealed class SeriesPriceTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    [Fact]
    public void Each_series_selection_costs_a_search()
    {
        var schema = fixture.Gateway.Services.GetRequiredService<ISchema>();
        var flat = Searches(schema, "{ appointment(id: \"x\") { fhirId } }");
        var once = Searches(schema, "{ appointment(id: \"x\") { series { timeZone } } }");
        // series (1) + its occurrences connection (1) + their nodes, appointments (1) + their series (1).
        var nested = Searches(schema, "{ appointment(id: \"x\") { series { occurrences { nodes { series { timeZone } } } } } }");

        Assert.Equal(flat + 1, once);
        Assert.Equal(flat + 4, nested);
    }

    private static long Searches(ISchema schema, string query)
    {
        var document = Parser.Parse(query);
        return OperationSize.Of(schema, document, document.Definitions.OfType<GraphQLOperationDefinition>().Single(), null, 100).Searches;
    }
}

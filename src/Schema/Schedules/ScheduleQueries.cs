using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Schedules;

public static class ScheduleQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.AddById<ScheduleType, Schedule>("schedule");

        query.Field<ConnectionGraphType<ScheduleType, Schedule>>("schedules")
            .Description("Schedules, by actor, service type or whether they are active.")
            .Argument<IdGraphType>("actor", a => a.Description = "Whose schedules: an actor's global id (or its FHIR reference Practitioner/1, Location/2, ...).")
            .ScheduleListArguments()
            .ResolveAsync(async c =>
            {
                var query = ScheduleFilters.ToQuery(c);
                if (c.GetArgument<string?>("actor") is { } actor)
                {
                    if (!FhirReference.TryParse(actor, out var parsed))
                    {
                        throw new UserInputError("'actor' must be a reference such as Practitioner/123.");
                    }

                    // A patient's schedules are asked for only by whoever may see that patient: their count would tell the patient exists.
                    await c.Access().RequireMayNameAsync(parsed, c.CancellationToken);
                    ScheduleSearches.NarrowedToActor(query, parsed);
                }

                return await RootList.SearchAsync<Schedule>(c, query);
            });
    }
}

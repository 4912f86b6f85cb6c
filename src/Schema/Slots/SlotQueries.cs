using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Slots;

public static class SlotQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.AddById<SlotType, Slot>("slot");

        query.Field<ConnectionGraphType<SlotType, Slot>>("slots")
            .Description("Slots across schedules, by schedule, status, start and service type.")
            .SlotListArguments()
            .ResolveAsync(async c => await RootList.SearchAsync<Slot>(c, SlotFilters.ToQuery(c)));
    }
}

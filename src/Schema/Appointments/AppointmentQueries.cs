using Scheduling.Schema.DataLoading;
using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Appointments;

public static class AppointmentQueries
{
    public static void AddTo(ObjectGraphType query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.AddById<AppointmentType, Appointment>("appointment");

        query.Field<ConnectionGraphType<AppointmentType, Appointment>>("appointments")
            .Description("The appointments this caller may see, by participant, status and date.")
            .AppointmentListArguments()
            .ResolveAsync(async c => await RootList.SearchAsync<Appointment>(c, c.Access().Narrow(AppointmentFilters.ToQuery(c))));
    }

    /// <summary>A nested appointment list: what points at <paramref name="target"/> through <paramref name="parameter"/>.</summary>
    public static object ForReference(GraphQL.IResolveFieldContext context, string parameter, FhirReference target)
    {
        var (offset, first) = Paging.Read(context);
        return context.LoadReferencing<Appointment>(context.Access().Narrow(AppointmentFilters.ToQuery(context)), parameter, target)
            .Then(list => Paging.Slice(list, offset, first));
    }
}

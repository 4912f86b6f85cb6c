using Scheduling.Schema.DataLoading;
using GraphQL;
using GraphQL.Builders;
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

    /// <summary>Resolves a nested appointment list: the appointments whose <paramref name="parameter"/> points at the
    /// field's owner, with its where/order arguments, narrowed to what the caller may see before the search.</summary>
    public static FieldBuilder<TOwner, object> ResolveAppointmentsOf<TOwner>(this FieldBuilder<TOwner, object> field, string parameter)
        where TOwner : Resource =>
        field.AppointmentListArguments().ResolveReverseList<TOwner, Appointment>(parameter, c => c.Access().Narrow(AppointmentFilters.ToQuery(c)));
}

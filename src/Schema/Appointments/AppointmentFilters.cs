using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Appointments;

/// <summary>Filters on appointments; each maps to a FHIR search parameter of Appointment.</summary>
public sealed record AppointmentFilter
{
    /// <summary><c>patient=Patient/{id}</c></summary>
    public string? PatientId { get; init; }

    /// <summary><c>practitioner=Practitioner/{id}</c></summary>
    public string? PractitionerId { get; init; }

    /// <summary><c>actor=</c> any participant, as a reference such as <c>Location/1</c>.</summary>
    public string? Actor { get; init; }

    /// <summary><c>status=a,b</c></summary>
    public IEnumerable<Appointment.AppointmentStatus>? Status { get; init; }

    /// <summary><c>date=ge...&amp;date=lt...</c> on the appointment's start.</summary>
    public DateTimeFilter? Date { get; init; }
}

public sealed record AppointmentSort
{
    public SortDirection? Start { get; init; }

    public SortDirection? Status { get; init; }
}

public sealed class AppointmentFilterInputType : InputObjectGraphType<AppointmentFilter>
{
    public AppointmentFilterInputType()
    {
        Name = "AppointmentFilterInput";
        Description = "Which appointments; all the given conditions must hold.";
        Field<IdGraphType>("patientId").Description("Appointments of this patient.");
        Field<IdGraphType>("practitionerId").Description("Appointments with this practitioner.");
        Field<IdGraphType>("actor").Description("Any participant: its global id (or FHIR reference Location/1, HealthcareService/2, ...).");
        Field<ListGraphType<NonNullGraphType<AppointmentStatusType>>>("status").Description("Any of these statuses.");
        Field<DateTimeFilterInputType>("date").Description("The appointment's start.");
    }
}

public sealed class AppointmentSortInputType : InputObjectGraphType<AppointmentSort>
{
    public AppointmentSortInputType()
    {
        Name = "AppointmentSortInput";
        Description = "Exactly one sort key per entry (@oneOf); the list gives their priority.";
        IsOneOf = true;
        Field<SortDirectionType>("start").Description("By start time.");
        Field<SortDirectionType>("status").Description("By status.");
    }
}

public static class AppointmentFilters
{
    public static FieldBuilder<TSource, TReturn> AppointmentListArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) =>
        field
            .Argument<AppointmentFilterInputType>("where", a => a.Description = "Which appointments (default: all this caller may see).")
            .Argument<ListGraphType<NonNullGraphType<AppointmentSortInputType>>>("order", a => a.Description = "Default: start ascending.")
            .PagingArguments();

    /// <summary>The FHIR search for the where/order arguments (default order: start ascending).</summary>
    public static FhirQuery ToQuery(IResolveFieldContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ToQuery(context.GetArgument<AppointmentFilter?>("where"), context.GetArgument<List<AppointmentSort>?>("order"));
    }

    /// <summary>The FHIR search for where/order (none given: the list's default, which the query planner primes).</summary>
    public static FhirQuery ToQuery(AppointmentFilter? where, IReadOnlyList<AppointmentSort>? order)
    {
        var query = AppointmentSearches.Filtered(where?.PatientId, where?.PractitionerId, where?.Actor, where?.Status?.ToList(), where?.Date);
        return query.SortBy(SortKeys.From(order, ("date", false), ("date", o => o.Start), ("status", o => o.Status)));
    }
}

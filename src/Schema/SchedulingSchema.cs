using GraphQL.Types;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.HealthcareServices;
using Scheduling.Schema.Identity;
using Scheduling.Schema.Introspection;
using Scheduling.Schema.Locations;
using Scheduling.Schema.Patients;
using Scheduling.Schema.Practitioners;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Slots;

namespace Scheduling.Schema;

/// <summary>The gateway's GraphQL schema: scheduling over FHIR R4, without FHIR's vocabulary.</summary>
public sealed class SchedulingSchema : GraphQL.Types.Schema
{
    public SchedulingSchema(IServiceProvider services, QueryType query, MutationType mutation, SubscriptionType subscription)
        : base(services)
    {
        Query = query;
        Mutation = mutation;
        Subscription = subscription;
        Description = "Scheduling over FHIR R4: schedules, slots, appointments and the people in them.";
        // FHIR instants keep their offset: the DateTime scalar is ours, not GraphQL.NET's UTC DateTime.
        RegisterTypeMapping(typeof(DateTimeOffset), typeof(IsoDateTimeGraphType));
        CurrentIntrospection.Enable(this);
        RegisterVisitor(new IdArguments());
    }

    protected override void OnBeforeInitializeType(IGraphType graphType) => CurrentIntrospection.Extend(graphType);
}

public sealed class QueryType : ObjectGraphType
{
    public QueryType()
    {
        Name = "Query";
        Description = "What can be read: practitioners, patients, locations, services, schedules, slots, appointments and bookable times.";
        NodeQueries.AddTo(this);
        PractitionerQueries.AddTo(this);
        PatientQueries.AddTo(this);
        LocationQueries.AddTo(this);
        HealthcareServiceQueries.AddTo(this);
        ScheduleQueries.AddTo(this);
        SlotQueries.AddTo(this);
        AppointmentQueries.AddTo(this);
        AvailabilityQueries.AddTo(this);
        ExplainAvailability.AddTo(this);
        Webhooks.WebhookFields.AddQueries(this);
        Waitlist.WaitlistFields.AddQueries(this);
    }
}

public sealed class SubscriptionType : ObjectGraphType
{
    public SubscriptionType()
    {
        Name = "Subscription";
        Description = "Live changes, over WebSocket (graphql-transport-ws) or server-sent events.";
        AppointmentSubscriptions.AddTo(this);
        SlotSubscriptions.AddTo(this);
    }
}

public sealed class MutationType : ObjectGraphType
{
    public MutationType()
    {
        Name = "Mutation";
        Description = "Booking and managing time: every mutation answers a payload with its result or typed errors.";
        AppointmentMutations.AddTo(this);
        SeriesMutations.AddTo(this);
        ScheduleMutations.AddTo(this);
        Webhooks.WebhookFields.AddMutations(this);
        Waitlist.WaitlistFields.AddMutations(this);
    }
}

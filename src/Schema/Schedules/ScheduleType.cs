using Scheduling.Schema.Booking;
using Scheduling.Schema.DataLoading;
using GraphQL;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Slots;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Schedules;

public sealed class ScheduleType : ObjectGraphType<Schedule>
{
    public ScheduleType()
    {
        Name = "Schedule";
        Description = "The availability of one or more actors: its slots say what is free and what is taken.";
        this.AddNodeIdentity();
        Field<BooleanGraphType>("active").Description("Whether the schedule is in use; inactive schedules offer no availability.").Resolve(c => c.Source.Active);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ActorType>>>>("actors").FhirElement("actor")
            .Description("Whom the schedule is for (at least one); an OtherActor where a reference cannot be resolved.")
            .Resolve(c =>
            {
                var loader = c.ById();
                return new ManyResults(c.Source.Actor.Select(a => ActorType.Resolve(loader, a)).ToList());
            });
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("serviceType").Description("The services that can be booked on this schedule.").Resolve(c => c.Source.ServiceType);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("specialty").Description("The specialties of care on this schedule.").Resolve(c => c.Source.Specialty);
        Field<PeriodType>("planningHorizon").Description("The span of time the schedule's slots cover.").Resolve(c => c.Source.PlanningHorizon);
        Field<StringGraphType>("comment").Description("About the schedule, for people.").Resolve(c => c.Source.Comment);
        Field<AvailabilityRuleType>("availability").NotFhirElement()
            .Description("The recurring availability rule, if the schedule has one.")
            .Resolve(c => AvailabilityRule.FromSchedule(c.Source));
        Field<NonNullGraphType<ConnectionGraphType<SlotType, Slot>>>("slots").NotFhirElement().Description("The schedule's slots.")
            .SlotListArguments()
            .ResolveReverseList<Schedule, Slot>(SlotSearches.ScheduleParameter, SlotFilters.ToQuery);
    }
}

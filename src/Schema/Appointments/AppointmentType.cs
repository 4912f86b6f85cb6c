using Scheduling.Schema.DataLoading;
using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.AppointmentResponses;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Locations;
using Scheduling.Schema.Patients;
using Scheduling.Schema.Practitioners;
using Scheduling.Schema.Slots;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Appointments;

public sealed class AppointmentType : ObjectGraphType<Appointment>
{
    public AppointmentType()
    {
        Name = "Appointment";
        Description = "A booking of one or more participants for a time, usually on one or more slots.";
        this.AddNodeIdentity();
        Field<NonNullGraphType<StringGraphType>>("versionId").NotFhirElement()
            .Description("The FHIR version of this appointment; changes on every update.")
            .Resolve(c => c.Source.Meta?.VersionId ?? string.Empty);
        Field<NonNullGraphType<AppointmentStatusType>>("status").Description("Where the appointment is in its life: PROPOSED, PENDING, BOOKED, ... CANCELLED.").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("serviceType").Description("The services to be given.").Resolve(c => c.Source.ServiceType);
        Field<CodeableConceptType>("appointmentType").Description("The kind of appointment, e.g. a follow-up.").Resolve(c => c.Source.AppointmentType);
        Field<StringGraphType>("description").Description("A short title, shown in lists.").Resolve(c => c.Source.Description);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("reason").FhirElement("reasonCode").Description("Why the appointment is made.").Resolve(c => c.Source.ReasonCode);
        Field<IsoDateTimeGraphType>("start").Description("When it starts (its first slot's start).").Resolve(c => c.Source.Start);
        Field<IsoDateTimeGraphType>("end").Description("When it ends (its last slot's end).").Resolve(c => c.Source.End);
        Field<IntGraphType>("minutesDuration").Description("How long it is planned to take, in minutes.").Resolve(c => c.Source.MinutesDuration);
        Field<IsoDateTimeGraphType>("created").Description("When it was made.").Resolve(c => FhirTime.Parse(c.Source.Created));
        Field<StringGraphType>("comment").Description("A note about the appointment.").Resolve(c => c.Source.Comment);
        Field<CodeableConceptType>("cancelationReason").Description("Why it was cancelled, if it was.").Resolve(c => c.Source.CancelationReason);
        Field<IsoDateTimeGraphType>("holdExpiresAt")
            .Description("When this hold lapses, if the appointment is a standing hold.")
            .Resolve(c => GatewayProfile.HoldExpiry(c.Source));

        Field<NonNullGraphType<ListGraphType<NonNullGraphType<SlotType>>>>("slots").FhirElement("slot").Description("The slots it takes.")
            .Resolve(c => c.ById().LoadMany(c.Source.Slot.Select(FhirReference.From).OfType<FhirReference>())
                .Then(found => found.OfType<Slot>().ToList()));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppointmentParticipantType>>>>("participants").FhirElement("participant").Description("Who takes part, with their answers.")
            .Resolve(c => c.Source.Participant);
        Field<PatientType>("patient")
            .Description("The first participant that is a patient, and only the first: a group appointment has more (see patients). Null with a FORBIDDEN error when the caller may not see that patient (a patient in someone else's group).")
            .Resolve(c => c.ById().Load<Patient>(ActorsOf(c.Source, "Patient").FirstOrDefault()));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<PatientType>>>>("patients")
            .Description("Every participant that is a patient, in participant order: all of a group appointment's patients, which patient shows only the first of. Those the caller may not see are left out (a patient sees only themselves).")
            .Resolve(c => LoadActors<Patient>(c, "Patient"));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<PractitionerType>>>>("practitioners").Description("The participants that are practitioners.")
            .Resolve(c => LoadActors<Practitioner>(c, "Practitioner"));
        Field<LocationType>("location")
            .Description("The first participant that is a location, and only the first: an appointment may take several (see locations).")
            .Resolve(c => c.ById().Load<Location>(ActorsOf(c.Source, "Location").FirstOrDefault()));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<LocationType>>>>("locations")
            .Description("Every participant that is a location, in participant order (location shows only the first).")
            .Resolve(c => LoadActors<Location>(c, "Location"));
        Field<NonNullGraphType<ConnectionGraphType<AppointmentResponseType, AppointmentResponse>>>("responses")
            .Description("The participants' answers to this appointment request.")
            .PagingArguments()
            .Resolve(c =>
            {
                var (offset, first) = Paging.Read(c);
                return c.Referencing()
                    .Load<AppointmentResponse>(AppointmentResponseSearches.All(), AppointmentResponseSearches.AppointmentParameter, FhirReference.For<Appointment>(c.Source.Id))
                    .Then(list => Paging.Slice(list, offset, first));
            });
        AppointmentSeriesType.AddTo(this);
    }

    /// <summary>
    /// Every participant of one resource type, in participant order, batched with the level: what
    /// <c>_include=Appointment:{parameter}</c> brings for the appointment (Navigations' Answers.All), so the planner
    /// may include it. A reference naming no resource is left out.
    /// </summary>
    private static IDataLoaderResult<List<T>> LoadActors<T>(IResolveFieldContext<Appointment> context, string resourceType)
        where T : Resource =>
        context.ById().LoadMany(ActorsOf(context.Source, resourceType).Select(FhirReference.From).OfType<FhirReference>())
            .Then(found => found.OfType<T>().ToList());

    private static IEnumerable<ResourceReference> ActorsOf(Appointment appointment, string resourceType) =>
        appointment.Participant
            .Select(p => p.Actor)
            .OfType<ResourceReference>()
            .Where(a => FhirReference.From(a)?.ResourceType == resourceType);
}

public sealed class AppointmentParticipantType : ObjectGraphType<Appointment.ParticipantComponent>
{
    public AppointmentParticipantType()
    {
        Name = "AppointmentParticipant";
        Description = "One participant of an appointment and their answer.";
        Field<ActorType>("actor").Description("The participant (FHIR allows a participant named only by its type); an OtherActor when its reference cannot be resolved.").Resolve(c => ActorType.Resolve(c.ById(), c.Source.Actor));
        Field<ParticipantRequiredType>("required").Description("Whether the appointment needs this participant.").Resolve(c => c.Source.Required);
        Field<NonNullGraphType<ParticipationStatusType>>("status").Description("The participant's answer.").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("type").Description("The participant's role, e.g. attender or translator.").Resolve(c => c.Source.Type);
    }
}

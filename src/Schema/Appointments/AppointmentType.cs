using Scheduling.Schema.DataLoading;
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

namespace Scheduling.Schema.Appointments;

public sealed class AppointmentType : ObjectGraphType<Appointment>
{
    public AppointmentType()
    {
        Name = "Appointment";
        Description = "A booking of one or more participants for a time, usually on one or more slots.";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("versionId")
            .Description("The FHIR version of this appointment; changes on every update.")
            .Resolve(c => c.Source.Meta?.VersionId ?? string.Empty);
        Field<AppointmentStatusType>("status").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("serviceType").Resolve(c => c.Source.ServiceType);
        Field<CodeableConceptType>("appointmentType").Resolve(c => c.Source.AppointmentType);
        Field<StringGraphType>("description").Resolve(c => c.Source.Description);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("reason").Resolve(c => c.Source.ReasonCode);
        Field<IsoDateTimeGraphType>("start").Resolve(c => c.Source.Start);
        Field<IsoDateTimeGraphType>("end").Resolve(c => c.Source.End);
        Field<IntGraphType>("minutesDuration").Resolve(c => c.Source.MinutesDuration);
        Field<IsoDateTimeGraphType>("created").Resolve(c => FhirTime.Parse(c.Source.Created));
        Field<StringGraphType>("comment").Resolve(c => c.Source.Comment);
        Field<CodeableConceptType>("cancelationReason").Resolve(c => c.Source.CancelationReason);
        Field<IsoDateTimeGraphType>("holdExpiresAt")
            .Description("When this hold lapses, if the appointment is a standing hold.")
            .Resolve(c => GatewayProfile.HoldExpiry(c.Source));

        Field<ListGraphType<NonNullGraphType<SlotType>>>("slots")
            .Resolve(c => c.ById().LoadMany(c.Source.Slot.Select(FhirReference.From).OfType<FhirReference>())
                .Then(found => found.OfType<Slot>().ToList()));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AppointmentParticipantType>>>>("participants")
            .Resolve(c => c.Source.Participant);
        Field<PatientType>("patient")
            .Description("The first participant that is a patient.")
            .Resolve(c => c.ById().Load<Patient>(ActorsOf(c.Source, "Patient").FirstOrDefault()));
        Field<ListGraphType<NonNullGraphType<PractitionerType>>>("practitioners")
            .Resolve(c => c.ById().LoadMany(ActorsOf(c.Source, "Practitioner").Select(FhirReference.From).OfType<FhirReference>())
                .Then(found => found.OfType<Practitioner>().ToList()));
        Field<LocationType>("location")
            .Description("The first participant that is a location.")
            .Resolve(c => c.ById().Load<Location>(ActorsOf(c.Source, "Location").FirstOrDefault()));
        Field<ConnectionGraphType<AppointmentResponseType, AppointmentResponse>>("responses")
            .Description("The participants' answers to this appointment request.")
            .PagingArguments()
            .Resolve(c =>
            {
                var (offset, first) = Paging.Read(c);
                return c.Referencing()
                    .Load<AppointmentResponse>(FhirQuery.For<AppointmentResponse>(), "appointment", FhirReference.For<Appointment>(c.Source.Id))
                    .Then(list => Paging.Slice(list, offset, first));
            });
    }

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
        Field<ActorType>("actor").Resolve(c => ActorType.Resolve(c.ById(), c.Source.Actor));
        Field<ParticipantRequiredType>("required").Resolve(c => c.Source.Required);
        Field<ParticipationStatusType>("status").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodeableConceptType>>>>("type").Resolve(c => c.Source.Type);
    }
}

using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.AppointmentResponses;

public sealed class AppointmentResponseType : ObjectGraphType<AppointmentResponse>
{
    public AppointmentResponseType()
    {
        Name = "AppointmentResponse";
        Description = "A participant's answer to an appointment request; start and end make it a counter-proposal.";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<AppointmentType>("appointment").Resolve(c => c.ById().Load<Appointment>(c.Source.Appointment));
        Field<ActorType>("actor").Resolve(c => ActorType.Resolve(c.ById(), c.Source.Actor));
        Field<ParticipationStatusType>("participantStatus").Resolve(c => c.Source.ParticipantStatus);
        Field<IsoDateTimeGraphType>("start").Resolve(c => c.Source.Start);
        Field<IsoDateTimeGraphType>("end").Resolve(c => c.Source.End);
        Field<StringGraphType>("comment").Resolve(c => c.Source.Comment);
    }
}

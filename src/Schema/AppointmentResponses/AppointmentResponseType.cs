using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.AppointmentResponses;

public sealed class AppointmentResponseType : ObjectGraphType<AppointmentResponse>
{
    public AppointmentResponseType()
    {
        Name = "AppointmentResponse";
        Description = "A participant's answer to an appointment request; start and end make it a counter-proposal.";
        this.AddNodeIdentity();
        Field<NonNullGraphType<AppointmentType>>("appointment").Description("The appointment answered.").Resolve(c => c.ById().Load<Appointment>(c.Source.Appointment));
        Field<ActorType>("actor").Description("Who answered.").Resolve(c => ActorType.Resolve(c.ById(), c.Source.Actor));
        Field<NonNullGraphType<ParticipationStatusType>>("participantStatus").Description("The answer.").Resolve(c => c.Source.ParticipantStatus);
        Field<IsoDateTimeGraphType>("start").Description("The proposed new start, for a counter-proposal.").Resolve(c => c.Source.Start);
        Field<IsoDateTimeGraphType>("end").Description("The proposed new end, for a counter-proposal.").Resolve(c => c.Source.End);
        Field<StringGraphType>("comment").Description("A note with the answer.").Resolve(c => c.Source.Comment);
    }
}

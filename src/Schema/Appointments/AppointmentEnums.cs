using GraphQL.Types;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Appointments;

public sealed class AppointmentStatusType : EnumerationGraphType<Appointment.AppointmentStatus>
{
    public AppointmentStatusType() => Name = "AppointmentStatus";
}

public sealed class ParticipationStatusType : EnumerationGraphType<ParticipationStatus>
{
    public ParticipationStatusType() => Name = "ParticipationStatus";
}

public sealed class ParticipantRequiredType : EnumerationGraphType<Appointment.ParticipantRequired>
{
    public ParticipantRequiredType() => Name = "ParticipantRequired";
}

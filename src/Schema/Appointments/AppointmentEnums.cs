using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Appointments;

public sealed class AppointmentStatusType : EnumerationGraphType<Appointment.AppointmentStatus>
{
    public AppointmentStatusType()
    {
        Name = "AppointmentStatus";
        Description = "Where an appointment is in its life (FHIR appointmentstatus).";
        this.DescribeValues(
            ("PROPOSED", "Proposed, e.g. a counter-proposal; no participant has accepted yet."),
            ("PENDING", "Some participants have not accepted yet; a standing hold (holdSlots) is PENDING."),
            ("BOOKED", "Every participant accepted: the appointment is made."),
            ("ARRIVED", "The patient has arrived."),
            ("FULFILLED", "The appointment took place."),
            ("CANCELLED", "Cancelled; its slots are free again."),
            ("NOSHOW", "The patient did not come."),
            ("ENTERED_IN_ERROR", "Made in error; to be ignored."),
            ("CHECKED_IN", "The patient has checked in."),
            ("WAITLIST", "Waiting for a time to become available."));
    }
}

public sealed class ParticipationStatusType : EnumerationGraphType<ParticipationStatus>
{
    public ParticipationStatusType()
    {
        Name = "ParticipationStatus";
        Description = "A participant's answer to an appointment (FHIR participationstatus).";
        this.DescribeValues(
            ("ACCEPTED", "Will take part."),
            ("DECLINED", "Will not take part."),
            ("TENTATIVE", "May take part; with a start and end, proposes another time."),
            ("NEEDS_ACTION", "Has not answered yet."));
    }
}

public sealed class ParticipantRequiredType : EnumerationGraphType<Appointment.ParticipantRequired>
{
    public ParticipantRequiredType()
    {
        Name = "ParticipantRequired";
        Description = "Whether an appointment needs a participant (FHIR participantrequired).";
        this.DescribeValues(
            ("REQUIRED", "The appointment cannot take place without them."),
            ("OPTIONAL", "The appointment can take place without them."),
            ("INFORMATION_ONLY", "Only kept informed; does not take part."));
    }
}

using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Practitioners;

public sealed class PractitionerType : ObjectGraphType<Practitioner>
{
    public PractitionerType()
    {
        Name = "Practitioner";
        Description = "A person who gives care: a doctor, nurse, therapist, ... (FHIR Practitioner).";
        this.AddNodeIdentity();
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<HumanNameType>>>>("name").Description("The practitioner's names.").Resolve(c => c.Source.Name);
        Field<StringGraphType>("displayName").Description("e.g. Dr. Alice Smith").Resolve(c => HumanNameType.Display(c.Source.Name));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ContactPointType>>>>("telecom").Description("How to reach the practitioner.").Resolve(c => c.Source.Telecom);
        Field<NonNullGraphType<ConnectionGraphType<ScheduleType, Schedule>>>("schedules").Description("The practitioner's schedules.")
            .ResolveActorSchedules();
        Field<NonNullGraphType<ConnectionGraphType<AppointmentType, Appointment>>>("appointments").Description("Appointments the practitioner takes part in.")
            .ResolveAppointmentsOf("practitioner");
    }
}

using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Identity;

namespace Scheduling.Schema.Patients;

public sealed class AdministrativeGenderType : EnumerationGraphType<AdministrativeGender>
{
    public AdministrativeGenderType()
    {
        Name = "AdministrativeGender";
        Description = "Gender for administration (FHIR administrative-gender).";
        this.DescribeValues(
            ("MALE", "Male."),
            ("FEMALE", "Female."),
            ("OTHER", "Other."),
            ("UNKNOWN", "Unknown."));
    }
}

public sealed class PatientType : ObjectGraphType<Patient>
{
    public PatientType()
    {
        Name = "Patient";
        Description = "A person who receives care (FHIR Patient).";
        this.AddNodeIdentity();
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<HumanNameType>>>>("name").Description("The patient's names.").Resolve(c => c.Source.Name);
        Field<StringGraphType>("displayName").Description("The name the patient goes by (the official one, else the first), e.g. Homer Simpson.").Resolve(c => HumanNameType.Display(c.Source.Name));
        Field<StringGraphType>("birthDate")
            .Description("A FHIR date: YYYY, YYYY-MM or YYYY-MM-DD.")
            .Resolve(c => c.Source.BirthDate);
        Field<AdministrativeGenderType>("gender").Description("Gender for administration.").Resolve(c => c.Source.Gender);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ContactPointType>>>>("telecom").Description("How to reach the patient.").Resolve(c => c.Source.Telecom);
        Field<NonNullGraphType<ConnectionGraphType<AppointmentType, Appointment>>>("appointments").Description("The patient's appointments.")
            .ResolveAppointmentsOf("patient");
    }
}

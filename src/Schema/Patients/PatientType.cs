using GraphQL.Types;
using Hl7.Fhir.Model;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Patients;

public sealed class AdministrativeGenderType : EnumerationGraphType<AdministrativeGender>
{
    public AdministrativeGenderType() => Name = "AdministrativeGender";
}

public sealed class PatientType : ObjectGraphType<Patient>
{
    public PatientType()
    {
        Name = "Patient";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<HumanNameType>>>>("name").Resolve(c => c.Source.Name);
        Field<StringGraphType>("displayName").Resolve(c => HumanNameType.Display(c.Source.Name));
        Field<StringGraphType>("birthDate")
            .Description("A FHIR date: YYYY, YYYY-MM or YYYY-MM-DD.")
            .Resolve(c => c.Source.BirthDate);
        Field<AdministrativeGenderType>("gender").Resolve(c => c.Source.Gender);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ContactPointType>>>>("telecom").Resolve(c => c.Source.Telecom);
        Field<ConnectionGraphType<AppointmentType, Appointment>>("appointments")
            .AppointmentListArguments()
            .Resolve(c => AppointmentQueries.ForReference(c, "patient", FhirReference.For<Patient>(c.Source.Id)));
    }
}

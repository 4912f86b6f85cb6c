using GraphQL.Types;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Scheduling.Schema.Common;

public sealed class CodingType : ObjectGraphType<Coding>
{
    public CodingType()
    {
        Name = "Coding";
        Description = "A code from a code system (FHIR Coding).";
        Field<StringGraphType>("system").Description("The code system's URI.").Resolve(c => c.Source.System);
        Field<StringGraphType>("code").Description("The code within its system.").Resolve(c => c.Source.Code);
        Field<StringGraphType>("display").Description("The code's text for people.").Resolve(c => c.Source.Display);
    }
}

public sealed class CodeableConceptType : ObjectGraphType<CodeableConcept>
{
    public CodeableConceptType()
    {
        Name = "CodeableConcept";
        Description = "A coded concept: its text for people and its codings for machines.";
        Field<StringGraphType>("text")
            .Description("The text, or the first coding's display when there is no text.")
            .Resolve(c => c.Source.Text ?? c.Source.Coding.Select(x => x.Display ?? x.Code).FirstOrDefault(x => x is not null));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodingType>>>>("coding").Description("The concept's codes in one or more code systems.").Resolve(c => c.Source.Coding);
    }
}

public sealed class HumanNameType : ObjectGraphType<HumanName>
{
    public HumanNameType()
    {
        Name = "HumanName";
        Description = "A person's name (FHIR HumanName).";
        Field<StringGraphType>("text").Description("The full name as written, or built from its parts.").Resolve(c => c.Source.Text ?? Display(c.Source));
        Field<StringGraphType>("family").Description("The family name (surname).").Resolve(c => c.Source.Family);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("given").Description("Given names, in order.").Resolve(c => c.Source.Given);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("prefix").Description("Titles before the name, e.g. Dr.").Resolve(c => c.Source.Prefix);
        Field<StringGraphType>("use").Description("OFFICIAL, USUAL, NICKNAME, ... (FHIR name-use, upper case).").Resolve(c => c.Source.Use?.ToString().ToUpperInvariant());
    }

    /// <summary>"Dr. Alice Smith": prefix, given names and family, or the name's own text.</summary>
    public static string? Display(HumanName? name)
    {
        if (name is null)
        {
            return null;
        }

        var parts = name.Prefix.Concat(name.Given).Append(name.Family).Where(p => !string.IsNullOrWhiteSpace(p)).ToList();
        return parts.Count > 0 ? string.Join(' ', parts) : name.Text;
    }

    /// <summary>The name a person goes by: the official one, else the first.</summary>
    public static string? Display(IEnumerable<HumanName> names)
    {
        var list = names.ToList();
        return Display(list.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? list.FirstOrDefault());
    }
}

public sealed class ContactPointType : ObjectGraphType<ContactPoint>
{
    public ContactPointType()
    {
        Name = "ContactPoint";
        Description = "A phone number, email address or other way to reach someone (FHIR ContactPoint).";
        Field<StringGraphType>("system").Description("phone, fax, email, pager, url, sms or other (FHIR code).").Resolve(c => c.Source.System?.GetLiteral());
        Field<StringGraphType>("value").Description("The number, address or URL.").Resolve(c => c.Source.Value);
        Field<StringGraphType>("use").Description("home, work, temp, old or mobile (FHIR code).").Resolve(c => c.Source.Use?.GetLiteral());
    }
}

public sealed class AddressType : ObjectGraphType<Address>
{
    public AddressType()
    {
        Name = "Address";
        Description = "A postal address (FHIR Address).";
        Field<StringGraphType>("text").Description("The whole address as written.").Resolve(c => c.Source.Text);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("line").Description("Street, house number and so on, one line each.").Resolve(c => c.Source.Line);
        Field<StringGraphType>("city").Description("The city or town.").Resolve(c => c.Source.City);
        Field<StringGraphType>("state").Description("The state, province or region.").Resolve(c => c.Source.State);
        Field<StringGraphType>("postalCode").Description("The postal code.").Resolve(c => c.Source.PostalCode);
        Field<StringGraphType>("country").Description("The country (name or ISO 3166 code).").Resolve(c => c.Source.Country);
    }
}

public sealed class PeriodType : ObjectGraphType<Period>
{
    public PeriodType()
    {
        Name = "Period";
        Description = "A span of time; either end may be open.";
        Field<IsoDateTimeGraphType>("start").Description("When it starts; null if open.").Resolve(c => FhirTime.Parse(c.Source.Start));
        Field<IsoDateTimeGraphType>("end").Description("When it ends; null if open.").Resolve(c => FhirTime.Parse(c.Source.End));
    }
}

using GraphQL.Types;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Scheduling.Schema.Common;

public sealed class CodingType : ObjectGraphType<Coding>
{
    public CodingType()
    {
        Name = "Coding";
        Field<StringGraphType>("system").Resolve(c => c.Source.System);
        Field<StringGraphType>("code").Resolve(c => c.Source.Code);
        Field<StringGraphType>("display").Resolve(c => c.Source.Display);
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
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CodingType>>>>("coding").Resolve(c => c.Source.Coding);
    }
}

public sealed class HumanNameType : ObjectGraphType<HumanName>
{
    public HumanNameType()
    {
        Name = "HumanName";
        Field<StringGraphType>("text").Resolve(c => c.Source.Text ?? Display(c.Source));
        Field<StringGraphType>("family").Resolve(c => c.Source.Family);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("given").Resolve(c => c.Source.Given);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("prefix").Resolve(c => c.Source.Prefix);
        Field<StringGraphType>("use").Resolve(c => c.Source.Use?.ToString().ToUpperInvariant());
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
        Field<StringGraphType>("system").Resolve(c => c.Source.System?.GetLiteral());
        Field<StringGraphType>("value").Resolve(c => c.Source.Value);
        Field<StringGraphType>("use").Resolve(c => c.Source.Use?.GetLiteral());
    }
}

public sealed class AddressType : ObjectGraphType<Address>
{
    public AddressType()
    {
        Name = "Address";
        Field<StringGraphType>("text").Resolve(c => c.Source.Text);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("line").Resolve(c => c.Source.Line);
        Field<StringGraphType>("city").Resolve(c => c.Source.City);
        Field<StringGraphType>("state").Resolve(c => c.Source.State);
        Field<StringGraphType>("postalCode").Resolve(c => c.Source.PostalCode);
        Field<StringGraphType>("country").Resolve(c => c.Source.Country);
    }
}

public sealed class PeriodType : ObjectGraphType<Period>
{
    public PeriodType()
    {
        Name = "Period";
        Field<IsoDateTimeGraphType>("start").Resolve(c => FhirTime.Parse(c.Source.Start));
        Field<IsoDateTimeGraphType>("end").Resolve(c => FhirTime.Parse(c.Source.End));
    }
}

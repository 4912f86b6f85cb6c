using GraphQL.Types;

namespace Scheduling.Schema.Common;

public static class EnumDescriptions
{
    /// <summary>Describes enum values by their GraphQL names (for enums this API does not own, such as FHIR's); a name the enum lacks fails at startup.</summary>
    public static void DescribeValues(this EnumerationGraphType type, params (string Value, string Description)[] values)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (value, description) in values)
        {
            (type.Values.FindByName(value) ?? throw new InvalidOperationException($"{type.Name} has no value {value}.")).Description = description;
        }
    }
}

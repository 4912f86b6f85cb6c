using GraphQL.Validation;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Execution;

/// <summary>
/// The operation's size against the limits (fields, directives, FHIR searches), as the first validation rule every
/// transport runs. An operation over a limit stops validation at once: the other rules would otherwise walk every one
/// of its fields and directives first (30,000 repeated directives cost seconds and megabytes of errors).
/// </summary>
public sealed class OperationLimitsRule(IOptions<GraphQLOptions> options) : IValidationRule
{
    public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limits = options.Value;
        var size = OperationSize.Of(context.Schema, context.Document, context.Operation, context.Variables);
        if (size.Fields > limits.MaxFields)
        {
            throw Refusal("TOO_MANY_FIELDS",
                $"This operation selects {Count(size.Fields)} fields once its fragments are expanded; at most {limits.MaxFields} are allowed.");
        }

        if (size.Directives > limits.MaxDirectives)
        {
            throw Refusal("TOO_MANY_DIRECTIVES",
                $"This operation applies {Count(size.Directives)} directives once its fragments are expanded; at most {limits.MaxDirectives} are allowed.");
        }

        if (size.Searches > limits.MaxFhirSearches)
        {
            throw Refusal("TOO_MANY_FHIR_SEARCHES", $"This operation needs {Count(size.Searches)} FHIR searches; at most {limits.MaxFhirSearches} are allowed.");
        }

        return default;
    }

    public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context) => default;

    public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => default;

    private static string Count(long value) => value >= OperationSize.Unbounded ? "endlessly many" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Thrown, not reported: the executer answers it as the only validation error and runs no other rule.</summary>
    private static ValidationError Refusal(string code, string message) => new(message) { Code = code };
}

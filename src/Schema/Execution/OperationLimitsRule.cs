using GraphQL.Validation;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Execution;

/// <summary>
/// The operation's size against the limits (fields, directives, FHIR searches), then the whole document's (every
/// operation and fragment, and selections sharing a response name: see <see cref="DocumentSize"/>), as the first validation rule every
/// transport runs. An operation over a limit stops validation at once: the other rules would otherwise walk every one
/// of its fields and directives first (30,000 repeated directives cost seconds and megabytes of errors). While GraphQL's
/// rules walk the document, it stops them after <see cref="GraphQLOptions.MaxErrors"/> errors.
/// </summary>
public sealed class OperationLimitsRule(IOptions<GraphQLOptions> options, IOptions<Fhir.FhirOptions> fhir) : ISplitValidationRule
{
    /// <summary>
    /// What a cached document (one that passed every limit once) is still held to: the limits its variables decide
    /// (their lists, the FHIR searches they price), with the same refusals.
    /// </summary>
    public IValidationRule PerRequest => field ??= new VariableLimits(this);

    public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var limits = options.Value;
        CheckOperation(context, DocumentSize.ListLengths(context.Document));
        // GraphQL's rules walk every definition, not only the selected operation: the whole document is held to the
        // same limits, each operation and fragment counted once.
        var document = DocumentSize.Of(context.Document);
        if (document.Fields > limits.MaxFields)
        {
            throw Refusal("TOO_MANY_FIELDS",
                $"This document has {Count(document.Fields)} fields in its operations and fragments; at most {limits.MaxFields} are allowed.");
        }

        if (document.Directives > limits.MaxDirectives)
        {
            throw Refusal("TOO_MANY_DIRECTIVES",
                $"This document applies {Count(document.Directives)} directives in its operations and fragments; at most {limits.MaxDirectives} are allowed.");
        }

        if (document.MostSameName > limits.MaxSameNameSelections)
        {
            throw Refusal("TOO_MANY_SAME_NAME_SELECTIONS",
                $"One selection set selects '{document.SameName}' {Count(document.MostSameName)} times; at most {limits.MaxSameNameSelections} selections may share a response name.");
        }

        return new ValueTask<INodeVisitor?>(new ErrorCount(limits.MaxErrors));
    }

    /// <summary>
    /// Every list argument (ids to delete, ids to search), literal or variable, of every field and input, is capped;
    /// then the selected operation's size.
    /// </summary>
    private void CheckOperation(ValidationContext context, IEnumerable<long> literalListLengths)
    {
        var limits = options.Value;
        var longestList = (context.Variables?.Values ?? Enumerable.Empty<object?>()).SelectMany(FieldArguments.ListLengths).Concat(literalListLengths).DefaultIfEmpty(0).Max();
        if (longestList > limits.MaxListArgumentLength)
        {
            throw Refusal("TOO_LONG_LIST", $"A list argument has {Count(longestList)} values; at most {limits.MaxListArgumentLength} are allowed.");
        }

        var size = OperationSize.Of(context.Schema, context.Document, context.Operation, context.Variables, fhir.Value.MaxValuesPerSearch);
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
    }

    public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context) => default;

    public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => default;

    private static string Count(long value) => value >= OperationSize.Unbounded ? "endlessly many" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Stops validation once more than <paramref name="limit"/> errors are found: a document built to fail everywhere
    /// (10,000 unknown fields, each with its "did you mean" suggestions) would otherwise cost seconds to describe.
    /// </summary>
    private sealed class ErrorCount(int limit) : INodeVisitor
    {
        public ValueTask EnterAsync(GraphQLParser.AST.ASTNode node, ValidationContext context) =>
            context.HasErrors && context.Errors.Count() > limit
                ? throw Refusal("TOO_MANY_ERRORS", $"Validation stopped after {limit} errors; the first: {context.Errors.First().Message}")
                : default;

        public ValueTask LeaveAsync(GraphQLParser.AST.ASTNode node, ValidationContext context) => default;
    }

    /// <summary>Thrown, not reported: the executer answers it as the only validation error and runs no other rule.</summary>
    private static ValidationError Refusal(string code, string message) => new(message) { Code = code };

    /// <summary>
    /// The part a cached document still runs: its literal lists passed once and stay as they were, its variables'
    /// lists and the operation's size (variables price FHIR searches) are checked again, in the same order.
    /// </summary>
    private sealed class VariableLimits(OperationLimitsRule limits) : IValidationRule
    {
        public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            limits.CheckOperation(context, []);
            return default;
        }

        public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context) => default;

        public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => default;
    }
}

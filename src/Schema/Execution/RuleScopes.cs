using System.Reflection;
using GraphQL.Validation;
using GraphQL.Validation.Rules.Custom;

namespace Scheduling.Schema.Execution;

/// <summary>
/// A validation rule with a part the document text alone decides (run once per cached document) and a part that
/// depends on the request: its variables, its caller, the schema. <see cref="PerRequest"/> is that part, or null.
/// </summary>
public interface ISplitValidationRule : IValidationRule
{
    IValidationRule? PerRequest { get; }
}

/// <summary>A validation rule the document text alone decides: a document that passed it once passes it again.</summary>
public interface IDocumentOnlyRule : IValidationRule;

/// <summary>
/// The validation rules of one request, split for a document that already passed them all once (a cached one): the
/// rules that document passes again whatever the request (<see cref="DocumentOnly"/>), and those that still run
/// (<see cref="PerRequest"/>), in their order. A rule not known to depend on the document only runs on every request.
/// </summary>
public sealed record RuleScopes(IReadOnlyList<IValidationRule> DocumentOnly, IReadOnlyList<IValidationRule> PerRequest)
{
    /// <summary>
    /// GraphQL's own rules that look at nothing but the document: no variable or post-argument visitor (those see
    /// variables, e.g. <c>FieldArgumentsAreValidRule</c>), and introspection switched off.
    /// </summary>
    private static readonly HashSet<IValidationRule> DocumentOnlyCoreRules =
        [.. DocumentValidator.CoreRules.Where(LooksAtTheDocumentOnly), NoIntrospectionValidationRule.Instance];

    public static RuleScopes Of(IEnumerable<IValidationRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var documentOnly = new List<IValidationRule>();
        var perRequest = new List<IValidationRule>();
        foreach (var rule in rules)
        {
            if (rule is ISplitValidationRule split)
            {
                documentOnly.Add(rule);
                if (split.PerRequest is { } part)
                {
                    perRequest.Add(part);
                }
            }
            else if (rule is IDocumentOnlyRule || DocumentOnlyCoreRules.Contains(rule))
            {
                documentOnly.Add(rule);
            }
            else
            {
                perRequest.Add(rule);
            }
        }

        return new RuleScopes(documentOnly, perRequest);
    }

    /// <summary>Whether a rule only visits the document's nodes before its variables and arguments are read.</summary>
    internal static bool LooksAtTheDocumentOnly(IValidationRule rule) =>
        DeclaredByBase(rule, nameof(IValidationRule.GetVariableVisitorAsync)) && DeclaredByBase(rule, nameof(IValidationRule.GetPostNodeVisitorAsync));

    private static bool DeclaredByBase(IValidationRule rule, string method) =>
        rule.GetType().GetMethod(method, BindingFlags.Public | BindingFlags.Instance)?.DeclaringType == typeof(ValidationRuleBase);
}

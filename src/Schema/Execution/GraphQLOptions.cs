using System.ComponentModel.DataAnnotations;

namespace Scheduling.Schema.Execution;

/// <summary>
/// Bound from the <c>GraphQL</c> section, validated at start-up, and read only through <c>IOptions</c>: every
/// limit of an operation, the same on every transport.
/// </summary>
public sealed class GraphQLOptions
{
    public const string SectionName = "GraphQL";

    [Required]
    [RegularExpression("^/.*", ErrorMessage = "GraphQL:Path must start with '/'.")]
    public string Path { get; set; } = "/graphql";

    /// <summary>Deepest selection nesting a document may have.</summary>
    [Range(2, 100, ErrorMessage = "GraphQL:MaxDepth must be between {1} and {2}.")]
    public int MaxDepth { get; set; } = 15;

    /// <summary>Largest estimated cost of an operation (fields, multiplied by the page sizes they ask for).</summary>
    [Range(100, 1_000_000_000, ErrorMessage = "GraphQL:MaxComplexity must be between {1} and {2}.")]
    public int MaxComplexity { get; set; } = 5_000_000;

    /// <summary>FHIR searches one operation may need (each resource, connection or actor field selected counts one; availability by its span).</summary>
    [Range(1, 10_000, ErrorMessage = "GraphQL:MaxFhirSearches must be between {1} and {2}.")]
    public int MaxFhirSearches { get; set; } = 100;

    /// <summary>Fields one operation may select once its fragments are expanded.</summary>
    [Range(10, 1_000_000, ErrorMessage = "GraphQL:MaxFields must be between {1} and {2}.")]
    public int MaxFields { get; set; } = 20_000;

    /// <summary>Directives one operation may apply once its fragments are expanded.</summary>
    [Range(1, 1_000_000, ErrorMessage = "GraphQL:MaxDirectives must be between {1} and {2}.")]
    public int MaxDirectives { get; set; } = 1_000;

    /// <summary>
    /// Selections one selection set may have under the same response name (fragments merged in): GraphQL's
    /// "overlapping fields can be merged" rule compares each pair of them, so this bounds its quadratic work.
    /// </summary>
    [Range(2, 10_000, ErrorMessage = "GraphQL:MaxSameNameSelections must be between {1} and {2}.")]
    public int MaxSameNameSelections { get; set; } = 100;

    /// <summary>Values one list argument may hold (ids to delete or to search, statuses), in literals and variables alike.</summary>
    [Range(1, 100_000, ErrorMessage = "GraphQL:MaxListArgumentLength must be between {1} and {2}.")]
    public int MaxListArgumentLength { get; set; } = 1_000;

    /// <summary>Ids one <c>nodes(ids:)</c> may read; more are refused with TOO_MANY_IDS before anything is read.</summary>
    [Range(1, 10_000, ErrorMessage = "GraphQL:MaxNodeIds must be between {1} and {2}.")]
    public int MaxNodeIds { get; set; } = 100;

    /// <summary>Errors one answer carries; the rest are summed up in one TOO_MANY_ERRORS error.</summary>
    [Range(1, 10_000, ErrorMessage = "GraphQL:MaxErrors must be between {1} and {2}.")]
    public int MaxErrors { get; set; } = 100;

    /// <summary>An operation still running after this is cancelled and answered with OPERATION_TIMEOUT.</summary>
    [Range(1, 600, ErrorMessage = "GraphQL:OperationTimeoutSeconds must be between {1} and {2}.")]
    public int OperationTimeoutSeconds { get; set; } = 30;

    /// <summary>Introspection (what IDEs need); default: on in Development only.</summary>
    public bool? EnableIntrospection { get; set; }

    /// <summary>Operations per second per caller (token subject, else client address); 0 turns the limit off.</summary>
    [Range(0, 100_000, ErrorMessage = "GraphQL:RateLimitPerSecond must be between {1} and {2}.")]
    public int RateLimitPerSecond { get; set; } = 100;

    /// <summary>How many operations a caller may send at once before the per-second rate applies.</summary>
    [Range(1, 100_000, ErrorMessage = "GraphQL:RateLimitBurst must be between {1} and {2}.")]
    public int RateLimitBurst { get; set; } = 500;

    /// <summary>
    /// Characters of document text kept as validated documents (each entry counts its text plus 1,024): a document
    /// that passed validation once is not walked by the rules the document alone decides again. 0 keeps none.
    /// </summary>
    [Range(0, 256 * 1024 * 1024, ErrorMessage = "GraphQL:ValidatedDocumentCacheCharacters must be between {1} and {2}.")]
    public int ValidatedDocumentCacheCharacters { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest request body accepted; larger ones get 413 before any parsing.</summary>
    [Range(1024, 64 * 1024 * 1024, ErrorMessage = "GraphQL:MaxRequestBytes must be between {1} and {2}.")]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;
}

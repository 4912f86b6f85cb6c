using System.ComponentModel.DataAnnotations;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>Bound from the <c>GraphQL</c> section.</summary>
public sealed class GraphQLHttpOptions
{
    public const string SectionName = "GraphQL";

    [Required]
    [RegularExpression("^/.*", ErrorMessage = "GraphQL:Path must start with '/'.")]
    public string Path { get; set; } = "/graphql";

    /// <summary>Deepest selection nesting a document may have.</summary>
    [Range(2, 100)]
    public int MaxDepth { get; set; } = 15;

    /// <summary>Largest estimated cost of an operation (fields, multiplied by the page sizes they ask for).</summary>
    [Range(100, 1_000_000_000)]
    public int MaxComplexity { get; set; } = 5_000_000;

    /// <summary>FHIR searches one operation may need (each resource, connection or actor field selected counts one).</summary>
    [Range(1, 10_000)]
    public int MaxFhirSearches { get; set; } = 100;

    /// <summary>Fields one operation may select once its fragments are expanded.</summary>
    [Range(10, 1_000_000)]
    public int MaxFields { get; set; } = 20_000;

    /// <summary>An operation still running after this is cancelled and answered with OPERATION_TIMEOUT.</summary>
    [Range(1, 600)]
    public int OperationTimeoutSeconds { get; set; } = 30;

    /// <summary>Introspection (what IDEs need); default: on in Development only.</summary>
    public bool? EnableIntrospection { get; set; }

    /// <summary>Requests per second per client (user, else IP address); 0 turns the limit off.</summary>
    [Range(0, 100_000)]
    public int RateLimitPerSecond { get; set; } = 100;

    /// <summary>How many requests a client may send at once before the per-second rate applies.</summary>
    [Range(1, 100_000)]
    public int RateLimitBurst { get; set; } = 500;

    /// <summary>Largest request body accepted; larger ones get 413 before any parsing.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;
}

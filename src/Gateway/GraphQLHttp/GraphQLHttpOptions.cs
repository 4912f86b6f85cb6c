using System.ComponentModel.DataAnnotations;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>Bound from the <c>GraphQL</c> section.</summary>
public sealed class GraphQLHttpOptions
{
    public const string SectionName = "GraphQL";

    [Required]
    [RegularExpression("^/.*", ErrorMessage = "GraphQL:Path must start with '/'.")]
    public string Path { get; set; } = "/graphql";

    /// <summary>Largest request body accepted; larger ones get 413 before any parsing.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 1024 * 1024;
}

namespace Scheduling.Schema.DataLoading;

/// <summary>Bound from the <c>DataLoading</c> section.</summary>
public sealed class DataLoaderOptions
{
    public const string SectionName = "DataLoading";

    /// <summary>
    /// True (the default): loads are batched and cached per request. False makes every load its own FHIR
    /// request, as a naive resolver-per-item would; it exists only to measure what batching saves.
    /// </summary>
    public bool Batching { get; set; } = true;
}

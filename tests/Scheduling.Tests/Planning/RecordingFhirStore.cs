using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Testing;

namespace Scheduling.Tests.Planning;

/// <summary>One search a gateway sent, and every resource its page brought (matches and included).</summary>
public sealed record RecordedSearch(FhirQuery Query, IReadOnlyList<FhirReference> Brought)
{
    public bool HasIncludes => FhirInclude.Of(Query).Count > 0;
}

/// <summary>
/// The embedded store as a gateway's upstream, recording each search it answers (the embedded store has no request
/// log of its own, as Medplum's peer has). Writes and reads pass straight through.
/// </summary>
public sealed class RecordingFhirStore(IFhirStore inner) : DelegatingFhirStore(inner)
{
    private readonly ConcurrentQueue<RecordedSearch> _searches = new();

    public IReadOnlyList<RecordedSearch> Searches => [.. _searches];

    /// <summary>Reshapes the page of a search with includes, as a server that cuts includes short would.</summary>
    public Func<FhirQuery, FhirSearchPage, FhirSearchPage>? Shape { get; set; }

    public void Clear() => _searches.Clear();

    /// <summary>Makes this the gateway's upstream store (what <c>Fhir:BaseUrl</c> unset would give: the embedded store).</summary>
    public void Register(IServiceCollection services) =>
        services.AddKeyedScoped<IFhirStore>(FhirServiceKeys.Upstream, (_, _) => this);

    public override async Task<FhirSearchPage> SearchAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        var page = await Inner.SearchAsync(query, cancellationToken);
        if (Shape is { } shape && FhirInclude.Of(query).Count > 0)
        {
            page = shape(query, page);
        }

        _searches.Enqueue(new RecordedSearch(query.Clone(), [.. page.Resources.Concat(page.Included).Select(r => new FhirReference(r.TypeName, r.Id!))]));
        return page;
    }

    public override async Task<IReadOnlyList<Resource>> SearchAllAsync(FhirQuery query, CancellationToken cancellationToken)
    {
        var all = await Inner.SearchAllAsync(query, cancellationToken);
        _searches.Enqueue(new RecordedSearch(query.Clone(), [.. all.Select(r => new FhirReference(r.TypeName, r.Id!))]));
        return all;
    }
}

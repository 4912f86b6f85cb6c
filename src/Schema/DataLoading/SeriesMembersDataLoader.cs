using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking.Series;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.DataLoading;

/// <summary>
/// The members (template and occurrences) of series, by series identifier, batched: every series a level of the
/// selection asks for is one search with the identifiers OR-ed (<c>Appointment?identifier=s|a,s|b</c>, in chunks of
/// <c>Fhir:MaxValuesPerSearch</c>), split back by each result's series identifier. A list of N series costs one
/// search, not N; a series asked for again in the same request (through its own occurrences) costs nothing.
/// Narrowed to what the caller may search, and only what the caller may see is kept.
/// </summary>
public sealed class SeriesMembersDataLoader(IFhirStore store, SchedulingAccess access, IOptions<FhirOptions> fhir, IOptions<DataLoaderOptions> options)
    : BatchDataLoader<string, IReadOnlyList<Appointment>>(options.Value, StringComparer.Ordinal)
{
    protected override IReadOnlyList<Appointment> MissingValue => [];

    protected override async Task<IReadOnlyDictionary<string, IReadOnlyList<Appointment>>> FetchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var found = new List<Appointment>();
        foreach (var chunk in keys.Chunk(fhir.Value.MaxValuesPerSearch))
        {
            found.AddRange(await store.SearchAllAsync<Appointment>(access.Narrow(SeriesSearches.Members(chunk)), cancellationToken));
        }

        var bySeries = found.Where(access.CanSee).GroupBy(a => SeriesProfile.SeriesIdOf(a) ?? string.Empty, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Appointment>)[.. g], StringComparer.Ordinal);
        return keys.ToDictionary(k => k, k => bySeries.GetValueOrDefault(k) ?? [], StringComparer.Ordinal);
    }
}

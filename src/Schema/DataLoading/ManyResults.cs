using GraphQL.DataLoader;

namespace Scheduling.Schema.DataLoading;

/// <summary>Several pending loads (possibly from different loaders) as one list result.</summary>
public sealed class ManyResults(IReadOnlyList<IDataLoaderResult> results) : IDataLoaderResult<IReadOnlyList<object?>>
{
    public async Task<IReadOnlyList<object?>> GetResultAsync(CancellationToken cancellationToken = default)
    {
        var values = new List<object?>(results.Count);
        foreach (var result in results)
        {
            values.Add(await result.GetResultAsync(cancellationToken));
        }

        return values;
    }

    async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
}

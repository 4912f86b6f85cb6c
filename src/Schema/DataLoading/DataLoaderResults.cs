using GraphQL.DataLoader;

namespace Scheduling.Schema.DataLoading;

/// <summary>An already-known value in the shape a resolver returns for a pending load.</summary>
public sealed class CompletedResult<T>(T value) : IDataLoaderResult<T>
{
    public Task<T> GetResultAsync(CancellationToken cancellationToken = default) => Task.FromResult(value);

    Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => Task.FromResult<object?>(value);
}

public static class DataLoaderResultExtensions
{
    /// <summary>Maps a pending load's value without resolving it early (batching is kept).</summary>
    public static IDataLoaderResult<TOut> Then<TIn, TOut>(this IDataLoaderResult<TIn> result, Func<TIn, TOut> map) =>
        new MappedResult<TIn, TOut>(result, map);

    private sealed class MappedResult<TIn, TOut>(IDataLoaderResult<TIn> inner, Func<TIn, TOut> map) : IDataLoaderResult<TOut>
    {
        public async Task<TOut> GetResultAsync(CancellationToken cancellationToken = default) =>
            map(await inner.GetResultAsync(cancellationToken));

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) =>
            await GetResultAsync(cancellationToken);
    }
}

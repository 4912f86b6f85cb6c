using GraphQL.DataLoader;

namespace Scheduling.Schema.DataLoading;

/// <summary>
/// A request-scoped batching loader on GraphQL.NET's <see cref="IDataLoaderResult{T}"/>. Loads only queue their
/// key; GraphQL.NET completes every pending data-loader field of a level after the level's other fields, and the
/// first completion fetches all keys queued so far in one <see cref="FetchAsync"/>. Each key is fetched at most
/// once per request, and later loads of it are answered from that result. Keys fall into independent groups
/// (<see cref="GroupOf"/>), fetched in parallel: a group that fails fails only its own fields. While it resolves a
/// subscription event, a loader reads through the event's <see cref="SharedLoads{TKey, TValue}"/>
/// (<see cref="ShareLoads"/>): every subscriber the event reaches asks the same keys, and they are fetched once.
/// </summary>
public abstract class BatchDataLoader<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Task<TValue>> _loaded;
    private readonly bool _batching;
    private Dictionary<TKey, TaskCompletionSource<TValue>> _pending;
    private SharedLoads<TKey, TValue>? _shared;

    protected BatchDataLoader(DataLoaderOptions options, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _batching = options.Batching;
        _loaded = new Dictionary<TKey, Task<TValue>>(comparer);
        _pending = new Dictionary<TKey, TaskCompletionSource<TValue>>(comparer);
    }

    /// <summary>
    /// Whether loads are batched and each key's value kept for the request (<c>DataLoading:Batching</c>): only then
    /// does a later load of a key find what an earlier one started.
    /// </summary>
    public bool CachesPerRequest => _batching;

    /// <summary>The value for a key; <see cref="MissingValue"/> when the source has none.</summary>
    public IDataLoaderResult<TValue> Load(TKey key)
    {
        if (!_batching)
        {
            return new Result(this, new Lazy<Task<TValue>>(() => FetchOneAsync(key)));
        }

        lock (_gate)
        {
            if (_loaded.TryGetValue(key, out var known))
            {
                return new Result(this, known);
            }

            var completion = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[key] = completion;
            _loaded[key] = completion.Task;
            return new Result(this, completion.Task);
        }
    }

    /// <summary>The values for several keys, in the keys' order, fetched in the same batch.</summary>
    public IDataLoaderResult<IReadOnlyList<TValue>> LoadMany(IEnumerable<TKey> keys)
    {
        var results = keys.Select(Load).ToList();
        return new ManyResult(results);
    }

    /// <summary>Tells the loader a value it would otherwise fetch (a search already returned it).</summary>
    public void Prime(TKey key, TValue value)
    {
        if (!_batching)
        {
            return;
        }

        lock (_gate)
        {
            _loaded.TryAdd(key, Task.FromResult(value));
        }
    }

    /// <summary>Forgets every cached value (after a write, what was read before may be stale).</summary>
    public void ClearAll()
    {
        lock (_gate)
        {
            // Keys still pending keep their completions; only settled values are dropped.
            foreach (var key in _loaded.Where(kv => kv.Value.IsCompleted).Select(kv => kv.Key).ToList())
            {
                _loaded.Remove(key);
            }
        }
    }

    /// <summary>From now on, fetches go through loads shared with other operations (null: this loader's own only).</summary>
    public void ShareLoads(SharedLoads<TKey, TValue>? shared) => Volatile.Write(ref _shared, shared);

    /// <summary>Fetches the keys of one group; keys absent from the answer get <see cref="MissingValue"/>.</summary>
    protected abstract Task<IReadOnlyDictionary<TKey, TValue>> FetchAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken);

    protected virtual TValue MissingValue => default!;

    /// <summary>Keys of different groups are fetched by separate, parallel <see cref="FetchAsync"/> calls.</summary>
    protected virtual string GroupOf(TKey key) => string.Empty;

    private async Task<TValue> FetchOneAsync(TKey key)
    {
        var found = await FetchSharedAsync([key], CancellationToken.None);
        return found.TryGetValue(key, out var value) ? value : MissingValue;
    }

    private Task<IReadOnlyDictionary<TKey, TValue>> FetchSharedAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken) =>
        Volatile.Read(ref _shared) is { } shared
            ? shared.LoadAsync(keys, FetchAsync, MissingValue, cancellationToken)
            : FetchAsync(keys, cancellationToken);

    private async Task DispatchAsync(CancellationToken cancellationToken)
    {
        Dictionary<TKey, TaskCompletionSource<TValue>> batch;
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            batch = _pending;
            _pending = new Dictionary<TKey, TaskCompletionSource<TValue>>(batch.Comparer);
        }

        // Grouped in a plain loop (no LINQ iterators): most batches are one group, fetched without Task.WhenAll.
        var groups = new Dictionary<string, List<KeyValuePair<TKey, TaskCompletionSource<TValue>>>>(StringComparer.Ordinal);
        foreach (var entry in batch)
        {
            var name = GroupOf(entry.Key);
            if (!groups.TryGetValue(name, out var group))
            {
                groups[name] = group = [];
            }

            group.Add(entry);
        }

        if (groups.Count == 1)
        {
            foreach (var group in groups.Values)
            {
                await FetchGroupAsync(group, cancellationToken);
            }

            return;
        }

        var fetches = new Task[groups.Count];
        var i = 0;
        foreach (var group in groups.Values)
        {
            fetches[i++] = FetchGroupAsync(group, cancellationToken);
        }

        await Task.WhenAll(fetches);
    }

    private async Task FetchGroupAsync(List<KeyValuePair<TKey, TaskCompletionSource<TValue>>> group, CancellationToken cancellationToken)
    {
        try
        {
            var keys = new TKey[group.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = group[i].Key;
            }

            var found = await FetchSharedAsync(keys, cancellationToken);
            foreach (var (key, completion) in group)
            {
                completion.TrySetResult(found.TryGetValue(key, out var value) ? value : MissingValue);
            }
        }
        catch (Exception e)
        {
            // Every field waiting on this group gets the error; other groups and fields are unaffected.
            foreach (var (_, completion) in group)
            {
                completion.TrySetException(e);
            }
        }
    }

    private sealed class Result : IDataLoaderResult<TValue>
    {
        private readonly BatchDataLoader<TKey, TValue> _loader;
        private readonly Task<TValue>? _task;
        private readonly Lazy<Task<TValue>>? _unbatched;

        public Result(BatchDataLoader<TKey, TValue> loader, Task<TValue> task) => (_loader, _task) = (loader, task);

        public Result(BatchDataLoader<TKey, TValue> loader, Lazy<Task<TValue>> unbatched) => (_loader, _unbatched) = (loader, unbatched);

        public Task<TValue> GetResultAsync(CancellationToken cancellationToken = default) =>
            _unbatched is not null ? _unbatched.Value
            : _task!.IsCompleted ? _task // already fetched (or primed): the task itself, no async frame
            : DispatchedAsync(cancellationToken);

        private async Task<TValue> DispatchedAsync(CancellationToken cancellationToken)
        {
            await _loader.DispatchAsync(cancellationToken);
            return await _task!;
        }

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) =>
            await GetResultAsync(cancellationToken);
    }

    private sealed class ManyResult(List<IDataLoaderResult<TValue>> results) : IDataLoaderResult<IReadOnlyList<TValue>>
    {
        public async Task<IReadOnlyList<TValue>> GetResultAsync(CancellationToken cancellationToken = default)
        {
            var values = new List<TValue>(results.Count);
            foreach (var result in results)
            {
                values.Add(await result.GetResultAsync(cancellationToken));
            }

            return values;
        }

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) =>
            await GetResultAsync(cancellationToken);
    }
}

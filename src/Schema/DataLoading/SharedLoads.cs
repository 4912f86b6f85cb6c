namespace Scheduling.Schema.DataLoading;

/// <summary>
/// Loads shared between operations: a key that one operation is already loading is awaited by the others, never
/// fetched again. A caller's missing keys are claimed together and fetched in one call (its batch), so concurrent
/// callers asking for the same keys cause one fetch between them. With <c>keepCompleted</c> the values stay for the
/// owner's lifetime (one event's reads); without, only loads in flight are shared (a cache's misses).
/// A load that failed is not kept; a waiter whose claimant gave up (cancelled, its scope gone) claims the key itself.
/// </summary>
public sealed class SharedLoads<TKey, TValue>(bool keepCompleted, IEqualityComparer<TKey>? comparer = null, SharedLoads<TKey, TValue>.Known? known = null)
    where TKey : notnull
{
    /// <summary>A value known without fetching (kept like a fetched one), or false: fetch it.</summary>
    public delegate bool Known(TKey key, out TValue value);

    private const int Attempts = 3;

    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Task<TValue>> _loads = new(comparer);

    /// <summary>The value of every key (<paramref name="missing"/> where the fetch found none).</summary>
    public async Task<IReadOnlyDictionary<TKey, TValue>> LoadAsync(
        IReadOnlyList<TKey> keys,
        Func<IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> fetch,
        TValue missing,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(fetch);
        for (var attempt = 1; ; attempt++)
        {
            var (loads, claimed) = Claim(keys);
            if (claimed.Count > 0)
            {
                await FetchClaimedAsync(claimed, fetch, missing, cancellationToken);
            }

            try
            {
                var values = new Dictionary<TKey, TValue>(loads.Count, loads.Comparer);
                foreach (var (key, load) in loads)
                {
                    values[key] = await load.WaitAsync(cancellationToken);
                }

                return values;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested && attempt < Attempts)
            {
                // Another caller's load, abandoned by that caller: load it ourselves.
            }
        }
    }

    /// <summary>Stops sharing a key's load (its resource changed: later callers must read it afresh).</summary>
    public void Forget(TKey key)
    {
        lock (_gate)
        {
            _loads.Remove(key);
        }
    }

    private (Dictionary<TKey, Task<TValue>> Loads, Dictionary<TKey, TaskCompletionSource<TValue>> Claimed) Claim(IReadOnlyList<TKey> keys)
    {
        var loads = new Dictionary<TKey, Task<TValue>>(_loads.Comparer);
        var claimed = new Dictionary<TKey, TaskCompletionSource<TValue>>(_loads.Comparer);
        lock (_gate)
        {
            foreach (var key in keys)
            {
                if (loads.ContainsKey(key))
                {
                    continue;
                }

                if (_loads.TryGetValue(key, out var load) && !load.IsFaulted && !load.IsCanceled)
                {
                    loads[key] = load;
                    continue;
                }

                if (known is not null && known(key, out var value))
                {
                    loads[key] = _loads[key] = Task.FromResult(value);
                    continue;
                }

                var completion = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
                claimed[key] = completion;
                loads[key] = _loads[key] = completion.Task;
            }
        }

        return (loads, claimed);
    }

    private async Task FetchClaimedAsync(
        Dictionary<TKey, TaskCompletionSource<TValue>> claimed,
        Func<IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, TValue>>> fetch,
        TValue missing,
        CancellationToken cancellationToken)
    {
        try
        {
            var found = await fetch([.. claimed.Keys], cancellationToken);
            foreach (var (key, completion) in claimed)
            {
                completion.TrySetResult(found.TryGetValue(key, out var value) ? value : missing);
            }
        }
        catch (Exception e)
        {
            foreach (var (_, completion) in claimed)
            {
                completion.TrySetException(e);
            }
        }
        finally
        {
            lock (_gate)
            {
                foreach (var (key, completion) in claimed)
                {
                    if ((!keepCompleted || completion.Task.IsFaulted) && _loads.TryGetValue(key, out var load) && load == completion.Task)
                    {
                        _loads.Remove(key);
                    }
                }
            }
        }
    }
}

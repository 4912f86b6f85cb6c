using System.Runtime.CompilerServices;

namespace Scheduling.Schema.Common;

/// <summary>
/// A memo keyed by object instance (reference equality), read and written by many threads without a lock: open
/// addressing over an array whose slots are claimed by compare-and-swap, grown by publishing a larger copy. Made for
/// values that are a pure function of their key, where losing a write costs one recomputation and nothing else: a
/// write that races a growth may be lost, and two threads that miss the same key at once both compute it. A
/// <see cref="System.Collections.Concurrent.ConcurrentDictionary{TKey, TValue}"/> takes a bucket lock on every add
/// (and all its locks to grow), which the fields of one operation, completing on several threads, contended for.
/// </summary>
internal sealed class InstanceMemo<TValue>
    where TValue : class
{
    private const int InitialSize = 64;

    private Table _table = new(InitialSize);

    /// <summary>The value last stored for this instance, if it is still held.</summary>
    public bool TryGet(object key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TValue? value)
    {
        var slots = Volatile.Read(ref _table).Slots;
        var mask = slots.Length - 1;
        var i = RuntimeHelpers.GetHashCode(key) & mask;
        for (var probes = 0; probes < slots.Length; probes++, i = (i + 1) & mask)
        {
            var entry = Volatile.Read(ref slots[i]);
            if (entry is null)
            {
                break;
            }

            if (ReferenceEquals(entry.Key, key))
            {
                value = Volatile.Read(ref entry.Value);
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Stores the value for this instance (replacing what was there); it may be lost to a concurrent growth.</summary>
    public void Set(object key, TValue value)
    {
        var table = Volatile.Read(ref _table);
        var slots = table.Slots;
        var mask = slots.Length - 1;
        var i = RuntimeHelpers.GetHashCode(key) & mask;
        Entry? added = null;
        for (var probes = 0; probes < slots.Length; probes++, i = (i + 1) & mask)
        {
            var entry = Volatile.Read(ref slots[i]);
            if (entry is null)
            {
                added ??= new Entry(key, value);
                entry = Interlocked.CompareExchange(ref slots[i], added, null);
                if (entry is null)
                {
                    if (Interlocked.Increment(ref table.Count) * 2 > slots.Length)
                    {
                        Grow(table);
                    }

                    return;
                }
            }

            if (ReferenceEquals(entry.Key, key))
            {
                Volatile.Write(ref entry.Value, value);
                return;
            }
        }

        // Full (counts lost to races): a larger table, and the value is simply not kept this time.
        Grow(table);
    }

    /// <summary>Forgets every value.</summary>
    public void Clear() => Volatile.Write(ref _table, new Table(InitialSize));

    private void Grow(Table table)
    {
        var larger = new Table(table.Slots.Length * 2);
        var mask = larger.Slots.Length - 1;
        foreach (var entry in table.Slots)
        {
            if (entry is null)
            {
                continue;
            }

            var i = RuntimeHelpers.GetHashCode(entry.Key) & mask;
            while (larger.Slots[i] is not null)
            {
                i = (i + 1) & mask;
            }

            // The same entry object: a value replaced in the old table after this copy is seen in the new one too.
            larger.Slots[i] = entry;
            larger.Count++;
        }

        // Whoever grows first wins; the other copy is dropped (its entries are the same objects).
        Interlocked.CompareExchange(ref _table, larger, table);
    }

    private sealed class Table(int size)
    {
        public readonly Entry?[] Slots = new Entry?[size];
        public int Count;
    }

    private sealed class Entry(object key, TValue value)
    {
        public readonly object Key = key;
        public TValue Value = value;
    }
}

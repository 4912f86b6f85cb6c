namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// One instance's change history: the newest changes, at most a number of them and none older than the retention
/// window, each with its id. Not thread-safe: its owner appends and reads under one lock.
/// </summary>
public sealed class ChangeRingBuffer(int capacity, TimeSpan retention)
{
    private readonly RecordedChange[] _entries = new RecordedChange[Math.Max(1, capacity)];
    private readonly DateTimeOffset[] _recordedAt = new DateTimeOffset[Math.Max(1, capacity)];
    private int _start;
    private int _count;

    /// <summary>The newest id ever given out, kept or not.</summary>
    public ChangeEventId? Head { get; private set; }

    public int Count => _count;

    /// <summary>Records a change at <paramref name="now"/> with the next id, dropping what is too old or too many.</summary>
    public RecordedChange Append(ResourceChange change, DateTimeOffset now)
    {
        var recorded = new RecordedChange(ChangeEventId.After(Head, now), change);
        Head = recorded.Id;
        Expire(now);
        if (_count == _entries.Length)
        {
            _start = (_start + 1) % _entries.Length;
            _count--;
        }

        var at = (_start + _count) % _entries.Length;
        _entries[at] = recorded;
        _recordedAt[at] = now;
        _count++;
        return recorded;
    }

    /// <summary>Every kept change after <paramref name="after"/>, in order, or why the client must refetch.</summary>
    public ChangeHistory ReadAfter(ChangeEventId after, DateTimeOffset now)
    {
        Expire(now);
        var oldest = _count == 0 ? (ChangeEventId?)null : _entries[_start].Id;
        if (ChangeHistory.Place(after, Head, oldest, now, retention) is { } reason)
        {
            return ChangeHistory.Missing(reason, Head);
        }

        var changes = new List<RecordedChange>();
        for (var i = 0; i < _count; i++)
        {
            var entry = _entries[(_start + i) % _entries.Length];
            if (entry.Id > after)
            {
                changes.Add(entry);
            }
        }

        return new ChangeHistory(changes, Head, null);
    }

    private void Expire(DateTimeOffset now)
    {
        while (_count > 0 && now - _recordedAt[_start] > retention)
        {
            _entries[_start] = null!;
            _start = (_start + 1) % _entries.Length;
            _count--;
        }
    }
}

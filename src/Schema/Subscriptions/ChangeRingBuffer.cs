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

    /// <summary>For a mirror (<see cref="StartAt"/>): every change after this id, up to <see cref="Head"/>, is kept here.</summary>
    public ChangeEventId? Floor { get; private set; }

    public int Count => _count;

    /// <summary>Records a change at <paramref name="now"/> with the next id, dropping what is too old or too many.</summary>
    public RecordedChange Append(ResourceChange change, DateTimeOffset now)
    {
        var recorded = new RecordedChange(ChangeEventId.After(Head, now), change);
        Store(recorded, now);
        return recorded;
    }

    /// <summary>Mirrors a stream kept elsewhere from <paramref name="position"/> on: what came before it is not here.</summary>
    public void StartAt(ChangeEventId position)
    {
        Head = position;
        Floor = position;
    }

    /// <summary>Keeps a change the stream recorded, with its id (after <see cref="Head"/>), dropping what is too old or too many.</summary>
    public void Keep(RecordedChange recorded, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        if (recorded.Id is { } id && (Head is not { } head || id > head))
        {
            Store(recorded, now);
        }
    }

    /// <summary>
    /// For a mirror: what came after <paramref name="after"/>, in order, or why the client must refetch, when this
    /// mirror can tell (<paramref name="after"/> between <see cref="Floor"/> and <see cref="Head"/>); null when it cannot.
    /// </summary>
    public ChangeHistory? ReadMirrored(ChangeEventId after, DateTimeOffset now, ChangeEventId? unrecordedAfter)
    {
        Expire(now);
        if (Floor is not { } floor || Head is not { } head || after < floor || after > head)
        {
            return null;
        }

        if (ChangeHistory.Place(after, head, floor, now, retention, unrecordedAfter) is { } reason)
        {
            return ChangeHistory.Missing(reason, head);
        }

        return new ChangeHistory(After(after), head, null);
    }

    private void Store(RecordedChange recorded, DateTimeOffset now)
    {
        Head = recorded.Id;
        Expire(now);
        if (_count == _entries.Length)
        {
            Drop();
        }

        var at = (_start + _count) % _entries.Length;
        _entries[at] = recorded;
        _recordedAt[at] = now;
        _count++;
    }

    private List<RecordedChange> After(ChangeEventId after)
    {
        var changes = new List<RecordedChange>();
        for (var i = 0; i < _count; i++)
        {
            var entry = _entries[(_start + i) % _entries.Length];
            if (entry.Id > after)
            {
                changes.Add(entry);
            }
        }

        return changes;
    }

    private void Drop()
    {
        if (Floor is not null)
        {
            Floor = _entries[_start].Id;
        }

        _entries[_start] = null!;
        _start = (_start + 1) % _entries.Length;
        _count--;
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

        return new ChangeHistory(After(after), Head, null);
    }

    private void Expire(DateTimeOffset now)
    {
        while (_count > 0 && now - _recordedAt[_start] > retention)
        {
            Drop();
        }
    }
}

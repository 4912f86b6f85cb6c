namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// The write a stream reader is in the middle of: the readable changes of its entries read so far. It lives as long as
/// the reader, not one read of the stream: the reader's position moves past each entry as it is taken here, so a read
/// that fails between two entries of a write (a timeout, a lost connection) leaves them here, and the next read goes
/// on with the same write. Each entry says how many entries of its write follow it; the write is complete at the entry
/// that says none. An entry that is not the next of the write (it says as many or more follow) starts another write:
/// the one in progress lost its tail (trimmed away) and is handed on as it is. Not thread-safe: the reader's own.
/// </summary>
internal sealed class WriteInProgress
{
    private readonly List<RecordedChange> _changes = [];
    private int? _rest; // what the last entry taken said follows it; null between writes

    /// <summary>
    /// Takes an entry: its change (null when it cannot be read) and how many entries of its write follow it. Returns
    /// what is complete, to hand on in this order: the write in progress if this entry is not its next one, and this
    /// entry's write if this entry ends it (with each change's <see cref="RecordedChange.FollowedBy"/> counting the
    /// readable ones only).
    /// </summary>
    public IReadOnlyList<RecordedChange> Take(RecordedChange? change, int rest)
    {
        List<RecordedChange>? complete = null;
        if (_rest is { } previous && rest != previous - 1)
        {
            End(ref complete);
        }

        if (change is not null)
        {
            _changes.Add(change);
        }

        _rest = rest;
        if (rest <= 0)
        {
            End(ref complete);
        }

        return complete ?? (IReadOnlyList<RecordedChange>)[];
    }

    /// <summary>The write in progress as it is (the stream ends inside it: its tail was trimmed away), and nothing open any more.</summary>
    public IReadOnlyList<RecordedChange> End()
    {
        List<RecordedChange>? complete = null;
        End(ref complete);
        return complete ?? (IReadOnlyList<RecordedChange>)[];
    }

    private void End(ref List<RecordedChange>? complete)
    {
        complete ??= [];
        for (var i = 0; i < _changes.Count; i++)
        {
            complete.Add(_changes[i] with { FollowedBy = _changes.Count - 1 - i });
        }

        _changes.Clear();
        _rest = null;
    }
}

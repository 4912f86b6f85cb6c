namespace Scheduling.Schema.Fhir.Reading;

/// <summary>
/// A read-only map from UTF-8 names to values, looked up by the bytes of a JSON property name or string without
/// making a <see cref="string"/> of them: open addressing over an FNV-1a hash, built once per type.
/// </summary>
internal sealed class Utf8NameTable<T>
    where T : class
{
    private readonly byte[][] _names;
    private readonly T?[] _values;
    private readonly int _mask;

    public Utf8NameTable(IReadOnlyCollection<KeyValuePair<string, T>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var size = 8;
        while (size < entries.Count * 2)
        {
            size *= 2;
        }

        _names = new byte[size][];
        _values = new T?[size];
        _mask = size - 1;
        foreach (var (name, value) in entries)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(name);
            var slot = Hash(bytes) & _mask;
            while (_values[slot] is not null)
            {
                if (_names[slot].AsSpan().SequenceEqual(bytes))
                {
                    throw new ArgumentException($"The name '{name}' is given twice.", nameof(entries));
                }

                slot = (slot + 1) & _mask;
            }

            _names[slot] = bytes;
            _values[slot] = value;
        }
    }

    /// <summary>The value named by exactly these bytes (case-sensitive), or null.</summary>
    public T? Find(ReadOnlySpan<byte> name)
    {
        var slot = Hash(name) & _mask;
        while (_values[slot] is { } value)
        {
            if (name.SequenceEqual(_names[slot]))
            {
                return value;
            }

            slot = (slot + 1) & _mask;
        }

        return null;
    }

    private static int Hash(ReadOnlySpan<byte> name)
    {
        var hash = 2166136261u;
        foreach (var b in name)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash & 0x7FFFFFFF);
    }
}

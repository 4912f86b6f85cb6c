using System.Text;
using GraphQL;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// One result as it goes out: its JSON as UTF-8, serialized once (for a group's event, once for every member), and
/// the event's id in the change stream when it has one. Transports splice these bytes into their frames as they are
/// (<see cref="OutboundFrame"/>); a frame that is the same for every receiver (an event stream's <c>next</c>) is made
/// once per result and kept here.
/// </summary>
internal sealed class SerializedResult
{
    private byte[]? _eventStreamFrame;

    public SerializedResult(byte[] utf8, string? eventId)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        Utf8 = utf8;
        EventId = eventId;
    }

    /// <summary>The result's JSON, UTF-8 encoded.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>The subscription event's id in the change stream (also in the result's extensions), if it has one.</summary>
    public string? EventId { get; }

    /// <summary>The result's JSON as text (tests, logs; transports send <see cref="Utf8"/>).</summary>
    public string Json => Encoding.UTF8.GetString(Utf8.Span);

    public static SerializedResult Of(string json, string? eventId = null) => new(Encoding.UTF8.GetBytes(json), eventId);

    /// <summary>An execution result serialized, with its event id taken from its extensions.</summary>
    public static SerializedResult Of(IGraphQLTextSerializer serializer, ExecutionResult result)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(result);
        return Of(serializer.Serialize(result), result.Extensions?.GetValueOrDefault(ChangeSubscription.EventIdExtension) as string);
    }

    /// <summary>The event stream's frame for this result, made by <paramref name="make"/> on first use and then shared by every stream that sends it.</summary>
    public byte[] EventStreamFrame(Func<SerializedResult, byte[]> make)
    {
        ArgumentNullException.ThrowIfNull(make);
        return Volatile.Read(ref _eventStreamFrame) ?? Interlocked.CompareExchange(ref _eventStreamFrame, make(this), null) ?? _eventStreamFrame!;
    }
}

/// <summary>
/// One message on a connection as UTF-8: a head and a tail of its own around a body that may be shared with other
/// connections (a group's serialized event), so the body is never copied into a new string or array per receiver.
/// </summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Head, ReadOnlyMemory<byte> Body, ReadOnlyMemory<byte> Tail)
{
    public int Length => Head.Length + Body.Length + Tail.Length;

    /// <summary>Whether the frame is one piece (sent as it is, nothing to assemble).</summary>
    public bool IsWhole => Head.IsEmpty && Tail.IsEmpty;

    public static OutboundFrame Text(string text) => new(default, Encoding.UTF8.GetBytes(text), default);

    /// <summary>Writes the three pieces one after the other into <paramref name="destination"/> (at least <see cref="Length"/> long).</summary>
    public void CopyTo(Span<byte> destination)
    {
        Head.Span.CopyTo(destination);
        Body.Span.CopyTo(destination[Head.Length..]);
        Tail.Span.CopyTo(destination[(Head.Length + Body.Length)..]);
    }

    /// <summary>The whole frame as text (tests and diagnostics).</summary>
    public override string ToString()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return Encoding.UTF8.GetString(bytes);
    }
}

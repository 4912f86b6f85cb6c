using System.Text;
using Scheduling.Gateway.Streaming;

namespace Scheduling.Gateway.GraphQLSse;

/// <summary>
/// What the gateway writes on an event stream (the graphql-sse protocol, distinct connections mode), each encoded
/// as the Server-Sent Events format frames it: fields, then an empty line.
/// </summary>
internal abstract record SseMessage
{
    /// <summary>A comment: the client ignores it, the connection is not idle.</summary>
    public static readonly SseMessage KeepAlive = new Fixed(":\n\n");

    /// <summary>The operation is done; an empty <c>data</c> field so the browser's EventSource dispatches it too.</summary>
    public static readonly SseMessage Complete = new Fixed("event: complete\ndata: \n\n");

    private static readonly byte[] NextField = "event: next\n"u8.ToArray();
    private static readonly byte[] IdField = "id: "u8.ToArray();
    private static readonly byte[] DataField = "data: "u8.ToArray();

    /// <summary>
    /// A <c>next</c> event carrying one execution result, with the subscription event's id if it has one: the
    /// browser's EventSource (and a client that does it likewise) sends it back as <c>Last-Event-ID</c>. The event is
    /// the same for every stream a group's result goes to, so it is encoded once per result (<see cref="SerializedResult.EventStreamFrame"/>).
    /// </summary>
    public static SseMessage Next(SerializedResult result) => new SseNext(result);

    /// <summary>A <c>next</c> event carrying a result given as JSON text.</summary>
    public static SseMessage Next(string executionResult, string? id = null) => Next(SerializedResult.Of(executionResult, id));

    /// <summary>The message as the bytes written to the stream.</summary>
    public abstract ReadOnlyMemory<byte> Encode();

    /// <summary>
    /// The event: its <c>event</c> and <c>id</c> fields, then the result in <c>data</c> fields, one per line of it (a
    /// line break inside a field would end it). Serialized JSON has none, so its bytes go in one field as they are.
    /// </summary>
    private static byte[] Frame(SerializedResult result)
    {
        var id = result.EventId is { } text && !text.Contains('\n', StringComparison.Ordinal) && !text.Contains('\r', StringComparison.Ordinal) ? text : null;
        var json = result.Utf8.Span;
        if (json.IndexOfAny((byte)'\n', (byte)'\r') >= 0)
        {
            var frame = new StringBuilder("event: next\n", json.Length + 64);
            if (id is not null)
            {
                frame.Append("id: ").Append(id).Append('\n');
            }

            foreach (var line in result.Json.Split('\n'))
            {
                frame.Append("data: ").Append(line.TrimEnd('\r')).Append('\n');
            }

            return Encoding.UTF8.GetBytes(frame.Append('\n').ToString());
        }

        var idBytes = id is null ? [] : Encoding.UTF8.GetBytes(id);
        var bytes = new byte[NextField.Length + (id is null ? 0 : IdField.Length + idBytes.Length + 1) + DataField.Length + json.Length + 2];
        var at = Append(bytes, 0, NextField);
        if (id is not null)
        {
            at = Append(bytes, at, IdField);
            at = Append(bytes, at, idBytes);
            bytes[at++] = (byte)'\n';
        }

        at = Append(bytes, at, DataField);
        at = Append(bytes, at, json);
        bytes[at] = (byte)'\n';
        bytes[at + 1] = (byte)'\n';
        return bytes;
    }

    private static int Append(byte[] destination, int at, ReadOnlySpan<byte> piece)
    {
        piece.CopyTo(destination.AsSpan(at));
        return at + piece.Length;
    }

    private sealed record SseNext(SerializedResult Result) : SseMessage
    {
        public override ReadOnlyMemory<byte> Encode() => Result.EventStreamFrame(Frame);
    }

    private sealed record Fixed(string Text) : SseMessage
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(Text);

        public override ReadOnlyMemory<byte> Encode() => _bytes;
    }
}

using System.Text;

namespace Scheduling.Gateway.GraphQLSse;

/// <summary>
/// What the gateway writes on an event stream (the graphql-sse protocol, distinct connections mode), each formatted
/// as the Server-Sent Events format frames it: fields, then an empty line.
/// </summary>
internal abstract record SseMessage
{
    /// <summary>A comment: the client ignores it, the connection is not idle.</summary>
    public static readonly SseMessage KeepAlive = new SseComment();

    public static readonly SseMessage Complete = new SseComplete();

    /// <summary>
    /// A <c>next</c> event carrying one execution result (serialized JSON), with the subscription event's id if it has
    /// one: the browser's EventSource (and a client that does it likewise) sends it back as <c>Last-Event-ID</c>.
    /// </summary>
    public static SseMessage Next(string executionResult, string? id = null) => new SseNext(executionResult, id);

    public abstract string Format();

    /// <summary>The <c>data</c> field, one line per line of text: a line break inside would end the field.</summary>
    protected static void AppendData(StringBuilder frame, string text)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(text);
        foreach (var line in text.Split('\n'))
        {
            frame.Append("data: ").Append(line.TrimEnd('\r')).Append('\n');
        }
    }

    private sealed record SseNext(string Result, string? Id) : SseMessage
    {
        public override string Format()
        {
            var frame = new StringBuilder("event: next\n", Result.Length + 64);
            if (Id is not null && !Id.Contains('\n', StringComparison.Ordinal) && !Id.Contains('\r', StringComparison.Ordinal))
            {
                frame.Append("id: ").Append(Id).Append('\n');
            }

            AppendData(frame, Result);
            return frame.Append('\n').ToString();
        }
    }

    /// <summary>The operation is done; an empty <c>data</c> field so the browser's EventSource dispatches it too.</summary>
    private sealed record SseComplete : SseMessage
    {
        public override string Format() => "event: complete\ndata: \n\n";
    }

    private sealed record SseComment : SseMessage
    {
        public override string Format() => ":\n\n";
    }
}

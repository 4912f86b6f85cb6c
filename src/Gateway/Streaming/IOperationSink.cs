using Scheduling.Gateway.Execution;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// Where a streaming transport (WebSocket, SSE) puts one operation's results, in its own wire format. The shared part,
/// running the operation and walking its outcome and events, is <see cref="StreamingOperations"/>.
/// </summary>
internal interface IOperationSink
{
    /// <summary>Called once, before anything is sent: what the pipeline made of the operation (an event stream's headers).</summary>
    ValueTask StartAsync(OperationOutcome outcome);

    /// <summary>
    /// One result, serialized: a query's or a mutation's, or one event of a subscription, with the event's id in the
    /// change stream when it has one (also in the result's extensions; SSE writes it as the event's <c>id</c>). A
    /// group's event is the same instance for every member: its bytes are spliced into the transport's frame, not copied.
    /// </summary>
    void Next(SerializedResult result);

    /// <summary>One result given as JSON text.</summary>
    void Next(string result, string? eventId = null) => Next(SerializedResult.Of(result, eventId));

    /// <summary>The operation ends without (further) results: refused, never ran, or its events failed. A JSON array of GraphQL errors.</summary>
    void Error(string errors);

    /// <summary>The operation is done.</summary>
    void Complete();

    /// <summary>The caller's token expired while the operation ran: nothing more is delivered.</summary>
    void Expired();
}

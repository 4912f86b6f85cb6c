using System.Text.Json.Nodes;
using GraphQL;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;

namespace Scheduling.Gateway.Streaming;

/// <summary>
/// One operation on a streaming transport (WebSocket or SSE): run through the <see cref="GraphQLExecutionPipeline"/>
/// like on every transport, its outcome and then its events handed to the transport's <see cref="IOperationSink"/>.
/// A refusal, or a document that never ran, is an error; a query or mutation one result and complete; a
/// subscription one result per event until its stream ends or fails, or the caller's token expires.
/// </summary>
internal sealed class StreamingOperations(GraphQLExecutionPipeline pipeline, IGraphQLTextSerializer serializer)
{
    public const string SubscriptionFailed = "SUBSCRIPTION_FAILED";

    /// <inheritdoc cref="RunAsync(OperationRequest, ParsedRequestSource, IOperationSink, ConnectionExpiry, CancellationToken)"/>
    public Task<IDisposable?> RunAsync(OperationRequest operation, GraphQLRequestSource read, IOperationSink sink, ConnectionExpiry expiry, CancellationToken aborted) =>
        RunAsync(operation, pipeline.Parsing(read), sink, expiry, aborted);

    /// <summary>Runs the operation; its subscription to the events when it is a running subscription (null when it has ended).</summary>
    public async Task<IDisposable?> RunAsync(OperationRequest operation, ParsedRequestSource read, IOperationSink sink, ConnectionExpiry expiry, CancellationToken aborted)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var outcome = await pipeline.ExecuteAsync(operation, read, aborted);
        try
        {
            await sink.StartAsync(outcome);
        }
        catch
        {
            // Never subscribed (the client left first): what the stream holds is given back.
            foreach (var stream in (outcome as OperationExecuted)?.Result.Streams?.Values ?? [])
            {
                (stream as IDisposable)?.Dispose();
            }

            throw;
        }

        switch (outcome)
        {
            case OperationRefused refused:
                // Refused before execution (rate, limits, unreadable request) or timed out.
                sink.Error(Errors(refused.Code, refused.Message));
                return null;
            case OperationExecuted { Result: { Executed: false } result }:
                // Never ran (syntax, validation, variables).
                sink.Error(JsonNode.Parse(serializer.Serialize(result))?["errors"]?.ToJsonString() ?? "[]");
                return null;
            case OperationExecuted { Result.Streams: { Count: > 0 } streams }:
                return streams.Values.First().Subscribe(new EventObserver(serializer, sink, expiry));
            case OperationExecuted { Result: var result }:
                sink.Next(SerializedResult.Of(serializer, result));
                sink.Complete();
                return null;
            default:
                throw new InvalidOperationException("Unknown outcome " + outcome.GetType().Name);
        }
    }

    /// <summary>A JSON array of one coded GraphQL error.</summary>
    public static string Errors(string code, string message) =>
        new JsonArray(new JsonObject { ["message"] = message, ["extensions"] = new JsonObject { ["code"] = code } }).ToJsonString();

    /// <summary>A result with errors only, as serialized JSON (where a transport carries errors as a result).</summary>
    public static string ResultOf(string errors) => $$"""{"errors":{{errors}}}""";

    private sealed class EventObserver(IGraphQLTextSerializer serializer, IOperationSink sink, ConnectionExpiry expiry) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            // Between the expiry and its timer's turn: nothing more is delivered.
            if (expiry.Expired)
            {
                sink.Expired();
                return;
            }

            // A group's event is serialized once for every member; a subscriber's own, here.
            sink.Next(value is SharedEventResult shared ? shared.Serialized : SerializedResult.Of(serializer, value));
        }

        public void OnError(Exception error) => sink.Error(Errors(SubscriptionFailed, "The subscription failed."));

        public void OnCompleted() => sink.Complete();
    }
}

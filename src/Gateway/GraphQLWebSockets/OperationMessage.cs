using System.Text;
using System.Text.Json;
using Scheduling.Gateway.Streaming;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>
/// A graphql-transport-ws message, typed: what a client sends (<see cref="Parse"/> checks its shape, so the protocol
/// state machine never sees a malformed one) and what the server sends (<see cref="Format"/>).
/// </summary>
internal abstract record OperationMessage
{
    /// <summary>The message a text frame holds, or null when it is not one of the protocol's client messages (4400).</summary>
    public static OperationMessage? Parse(string text)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }

        try
        {
            return root.ValueKind == JsonValueKind.Object && String(root, "type") is { } type ? OfType(type, root) : null;
        }
        catch (InvalidOperationException)
        {
            // A string .NET cannot decode (a lone UTF-16 surrogate) in the type, id, query or documentId.
            return null;
        }
    }

    /// <summary>The message as a text frame.</summary>
    public abstract string Format();

    private static OperationMessage? OfType(string type, JsonElement root)
    {
        var payload = root.TryGetProperty("payload", out var p) && p.ValueKind != JsonValueKind.Null ? p : (JsonElement?)null;
        return type switch
        {
            "connection_init" => payload is null or { ValueKind: JsonValueKind.Object } ? new ConnectionInit(payload) : null,
            "ping" => new Ping(payload),
            "pong" => new Pong(payload),
            // 'query' must be a string; a persisted document comes with an empty one and its documentId.
            "subscribe" => String(root, "id") is { Length: > 0 } id && payload is { ValueKind: JsonValueKind.Object } request &&
                (String(request, "query") is not null || String(request, "documentId") is not null)
                ? new Subscribe(id, request)
                : null,
            "complete" => String(root, "id") is { } completed ? new Complete(completed) : null,
            _ => null,
        };
    }

    /// <summary>
    /// A string property; null when absent or not a string. Throws <see cref="InvalidOperationException"/> on text
    /// .NET cannot decode (a lone UTF-16 surrogate).
    /// </summary>
    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string WithId(string id, string type, string? payload) =>
        payload is null
            ? $$"""{"id":{{JsonSerializer.Serialize(id)}},"type":"{{type}}"}"""
            : PayloadHead(id, type) + payload + PayloadTail;

    /// <summary>A message with an id and a payload is this head, the payload's JSON, then <see cref="PayloadTail"/>.</summary>
    private static string PayloadHead(string id, string type) => $$"""{"id":{{JsonSerializer.Serialize(id)}},"type":"{{type}}","payload":""";

    private const string PayloadTail = "}";

    private static readonly byte[] PayloadTailBytes = Encoding.UTF8.GetBytes(PayloadTail);

    private static string WithPayload(string type, JsonElement? payload) =>
        payload is { } body ? $$"""{"type":"{{type}}","payload":{{body.GetRawText()}}}""" : $$"""{"type":"{{type}}"}""";

    /// <summary>Client: opens the connection, its payload the credentials (an object, or none).</summary>
    public sealed record ConnectionInit(JsonElement? Payload) : OperationMessage
    {
        public override string Format() => WithPayload("connection_init", Payload);
    }

    /// <summary>Server: the connection is accepted.</summary>
    public sealed record ConnectionAck : OperationMessage
    {
        public override string Format() => """{"type":"connection_ack"}""";
    }

    /// <summary>Either side: answered with a pong; a client's may renew the credentials.</summary>
    public sealed record Ping(JsonElement? Payload) : OperationMessage
    {
        public override string Format() => WithPayload("ping", Payload);
    }

    public sealed record Pong(JsonElement? Payload) : OperationMessage
    {
        public override string Format() => WithPayload("pong", Payload);
    }

    /// <summary>Client: runs an operation under its id; the payload is the request (an object with a query or documentId).</summary>
    public sealed record Subscribe(string Id, JsonElement Payload) : OperationMessage
    {
        public override string Format() => WithId(Id, "subscribe", Payload.GetRawText());
    }

    /// <summary>Server: one result of an operation (serialized JSON).</summary>
    public sealed record Next(string Id, string Result) : OperationMessage
    {
        public override string Format() => WithId(Id, "next", Result);

        /// <summary>What precedes the result in every <c>next</c> of the operation with this id (made once per operation).</summary>
        public static byte[] Head(string id) => Encoding.UTF8.GetBytes(PayloadHead(id, "next"));

        /// <summary>
        /// The frame <see cref="Format"/> gives, around a result already serialized (a group's event, the same bytes
        /// for every member): the operation's <see cref="Head"/>, the result as it is, the closing brace.
        /// </summary>
        public static OutboundFrame Frame(byte[] head, ReadOnlyMemory<byte> result) => new(head, result, PayloadTailBytes);
    }

    /// <summary>Server: the operation ends with these errors (a JSON array) and no result.</summary>
    public sealed record Error(string Id, string Errors) : OperationMessage
    {
        public override string Format() => WithId(Id, "error", Errors);
    }

    /// <summary>Either side: the operation is done (the client's: stop it).</summary>
    public sealed record Complete(string Id) : OperationMessage
    {
        public override string Format() => WithId(Id, "complete", null);
    }
}

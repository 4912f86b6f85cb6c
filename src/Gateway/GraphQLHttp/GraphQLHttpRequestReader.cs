using System.Buffers;
using System.Text.Json;
using GraphQL;
using GraphQL.Transport;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Execution;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>A request that cannot be executed, with the status the GraphQL-over-HTTP spec gives it.</summary>
internal sealed record GraphQLRequestError(int Status, string Code, string Message);

/// <summary>Reads a GraphQL request from a GET query string or a POST JSON body (or a socket's subscribe payload), checking every parameter's type.</summary>
internal sealed class GraphQLHttpRequestReader(IGraphQLTextSerializer serializer, IOptions<GraphQLOptions> options)
{
    /// <summary>
    /// The request of a GET (its query string) or a POST (its JSON body: Content-Type, size and encoding checked before
    /// anything is parsed), as GraphQL over HTTP and the event stream both take it.
    /// </summary>
    public ValueTask<(GraphQLRequest? Request, GraphQLRequestError? Error)> FromHttpRequestAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return HttpMethods.IsGet(http.Request.Method) ? ValueTask.FromResult(FromQueryString(http.Request.Query)) : new(FromPostBodyAsync(http));
    }

    private async Task<(GraphQLRequest?, GraphQLRequestError?)> FromPostBodyAsync(HttpContext http)
    {
        if (string.IsNullOrEmpty(http.Request.ContentType))
        {
            return (null, new(415, "UNSUPPORTED_MEDIA_TYPE", "A POST needs Content-Type: application/json."));
        }

        if (!GraphQLMediaTypes.IsAcceptedRequestType(http.Request.ContentType))
        {
            return (null, new(415, "UNSUPPORTED_MEDIA_TYPE", "A POST body must be application/json in UTF-8."));
        }

        var limit = options.Value.MaxRequestBytes;
        if (http.Request.ContentLength > limit)
        {
            return (null, new(413, "REQUEST_TOO_LARGE", $"The request body is larger than {limit} bytes."));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        var body = new ArrayBufferWriter<byte>();
        try
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
            {
                if (body.WrittenCount + read > limit)
                {
                    return (null, new(413, "REQUEST_TOO_LARGE", $"The request body is larger than {limit} bytes."));
                }

                body.Write(buffer.AsSpan(0, read));
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, new(413, "REQUEST_TOO_LARGE", $"The request body is larger than {limit} bytes."));
        }

        return FromJsonBody(body.WrittenMemory);
    }

    public (GraphQLRequest? Request, GraphQLRequestError? Error) FromQueryString(IQueryCollection query)
    {
        var text = query["query"].ToString();
        var documentId = NullIfEmpty(query["documentId"].ToString());
        if (string.IsNullOrEmpty(text) && documentId is null)
        {
            return (null, new(400, "REQUEST_MISSING_QUERY", "The 'query' parameter (or a persisted 'documentId') is required."));
        }

        var request = new GraphQLRequest { Query = NullIfEmpty(text), DocumentId = documentId, OperationName = NullIfEmpty(query["operationName"].ToString()) };
        var variables = ParseJsonParameter(query["variables"].ToString(), "variables", out var variablesError);
        var extensions = ParseJsonParameter(query["extensions"].ToString(), "extensions", out var extensionsError);
        if ((variablesError ?? extensionsError) is { } error)
        {
            return (null, error);
        }

        request.Variables = variables;
        request.Extensions = extensions;
        return (request, null);
    }

    public (GraphQLRequest? Request, GraphQLRequestError? Error) FromJsonBody(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return (null, new(400, "REQUEST_EMPTY_BODY", "The request body is empty; send {\"query\": \"...\"}."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            return (null, new(400, "REQUEST_INVALID_JSON", "The request body is not valid JSON: " + e.Message));
        }

        using (document)
        {
            return FromJsonObject(document.RootElement, "The request body");
        }
    }

    /// <summary>
    /// A graphql-transport-ws subscribe payload: the same parameters as a POST body. The protocol requires 'query' to be
    /// a string, so a persisted document comes as its documentId with an empty query.
    /// </summary>
    public (GraphQLRequest? Request, GraphQLRequestError? Error) FromSubscribePayload(JsonElement payload)
    {
        var (request, error) = FromJsonObject(payload, "The subscribe payload");
        if (request is { DocumentId: not null, Query: "" })
        {
            request.Query = null;
        }

        return (request, error);
    }

    /// <summary>The request parameters of a JSON object, every value's type checked, before anything converts them.</summary>
    private (GraphQLRequest? Request, GraphQLRequestError? Error) FromJsonObject(JsonElement root, string what)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, new(400, "REQUEST_INVALID_PARAMETERS", what + " must be a JSON object."));
        }

        // Valid JSON can still hold text .NET cannot decode (a lone UTF-16 surrogate): refused before any conversion.
        if (!UntrustedJson.IsText(root))
        {
            return (null, InvalidText(what));
        }

        // A persisted document is named by 'documentId' (sha256:<hex>) instead of sent as 'query'.
        string? documentId = null;
        if (root.TryGetProperty("documentId", out var id) && id.ValueKind != JsonValueKind.Null)
        {
            if (id.ValueKind != JsonValueKind.String)
            {
                return (null, new(400, "REQUEST_INVALID_PARAMETERS", "'documentId' must be a string."));
            }

            documentId = NullIfEmpty(id.GetString());
        }

        var hasQuery = root.TryGetProperty("query", out var query) && query.ValueKind != JsonValueKind.Null;
        if (!hasQuery && documentId is null)
        {
            return (null, new(400, "REQUEST_MISSING_QUERY", "The 'query' parameter (or a persisted 'documentId') is required."));
        }

        if (hasQuery && query.ValueKind != JsonValueKind.String)
        {
            return (null, new(400, "REQUEST_INVALID_PARAMETERS", "'query' must be a string."));
        }

        string? operationName = null;
        if (root.TryGetProperty("operationName", out var name) && name.ValueKind != JsonValueKind.Null)
        {
            if (name.ValueKind != JsonValueKind.String)
            {
                return (null, new(400, "REQUEST_INVALID_PARAMETERS", "'operationName' must be a string or null."));
            }

            operationName = NullIfEmpty(name.GetString());
        }

        if (!TryReadMap(root, "variables", out var variables, out var error) ||
            !TryReadMap(root, "extensions", out var extensions, out error))
        {
            return (null, error);
        }

        return (new GraphQLRequest { Query = hasQuery ? query.GetString() : null, DocumentId = documentId, OperationName = operationName, Variables = variables, Extensions = extensions }, null);
    }

    private bool TryReadMap(JsonElement root, string name, out Inputs? map, out GraphQLRequestError? error)
    {
        map = null;
        error = null;
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            error = new(400, "REQUEST_INVALID_PARAMETERS", $"'{name}' must be a map (JSON object) or null.");
            return false;
        }

        map = serializer.ReadNode<Inputs>(value);
        return true;
    }

    private Inputs? ParseJsonParameter(string text, string name, out GraphQLRequestError? error)
    {
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (!UntrustedJson.IsText(document.RootElement))
                {
                    error = InvalidText($"'{name}'");
                    return null;
                }

                return serializer.ReadNode<Inputs>(document.RootElement);
            }
        }
        catch (JsonException)
        {
        }

        error = new(400, "REQUEST_INVALID_PARAMETERS", $"'{name}' must be a URL-encoded JSON object.");
        return null;
    }

    private static GraphQLRequestError InvalidText(string what) =>
        new(400, "REQUEST_INVALID_UNICODE", what + " has a string that is not valid Unicode text (a lone UTF-16 surrogate).");

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}

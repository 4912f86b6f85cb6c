using System.Buffers;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Gateway.PersistedDocuments;
using Scheduling.Schema.Telemetry;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>
/// GraphQL over HTTP (the GraphQL-over-HTTP spec) on GraphQL.NET: POST with a JSON body, GET with query
/// parameters (queries only), response media type negotiated from Accept. With
/// <c>application/graphql-response+json</c> a request that cannot execute (bad document, failed validation or
/// variables) is a 400 without <c>data</c>; with legacy <c>application/json</c> it is a 200, as the spec requires.
/// </summary>
internal sealed class GraphQLHttpEndpoint(
    ISchema schema,
    IDocumentExecuter<ISchema> executer,
    IGraphQLTextSerializer serializer,
    GraphQLHttpRequestReader reader,
    IOptions<GraphQLHttpOptions> options,
    GatewayAuthentication authentication,
    PersistedDocumentStore persisted,
    ILogger<GraphQLHttpEndpoint> logger)
{
    public async Task HandleAsync(HttpContext http)
    {
        var isGet = HttpMethods.IsGet(http.Request.Method);
        if (!isGet && !HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.Headers.Allow = "GET, POST";
            await WriteErrorAsync(http, GraphQLMediaTypes.Json, new(405, "METHOD_NOT_ALLOWED", "Use GET for queries or POST."));
            return;
        }

        var responseType = GraphQLMediaTypes.Negotiate(http.Request.GetTypedHeaders().Accept);
        if (responseType is null)
        {
            await WriteErrorAsync(http, GraphQLMediaTypes.Json, new(406, "NOT_ACCEPTABLE",
                $"This endpoint answers {GraphQLMediaTypes.GraphQLResponse} or {GraphQLMediaTypes.Json}."));
            return;
        }

        if (authentication.CallerOf(http) is not { } caller)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteErrorAsync(http, responseType, new(401, "UNAUTHENTICATED", "A valid bearer token is required."));
            return;
        }

        var (request, error) = isGet ? reader.FromQueryString(http.Request.Query) : await ReadPostAsync(http);
        if (error is not null)
        {
            await WriteErrorAsync(http, responseType, error);
            return;
        }

        // A persisted document is checked like a sent one; an unknown id is left for the executer to report.
        var text = request!.Query ?? persisted.Find(request.DocumentId);
        var document = text is null ? null : TryParse(text);
        var operation = document is null ? null : SelectOperation(document, request.OperationName);
        if (isGet && operation is not null && operation.Operation != OperationType.Query)
        {
            // A GET must be safe: mutations (and subscriptions) only over POST (or the WebSocket).
            http.Response.Headers.Allow = "POST";
            await WriteErrorAsync(http, responseType, new(405, "METHOD_NOT_ALLOWED", $"A {operation.Operation.ToString().ToLowerInvariant()} needs POST."));
            return;
        }

        if (document is not null && operation is not null && FhirSearchBudget.Refusal(schema, document, operation, options.Value) is { } tooCostly)
        {
            await WriteErrorAsync(http, responseType, tooCostly);
            return;
        }

        if (operation?.Operation == OperationType.Subscription)
        {
            await WriteErrorAsync(http, responseType, new(400, "SUBSCRIPTION_NEEDS_STREAM",
                "Subscriptions are served over WebSocket (graphql-transport-ws) at this path."));
            return;
        }

        var operationName = request.OperationName ?? operation?.Name?.StringValue;
        using var logScope = logger.BeginScope(new Dictionary<string, object?> { ["GraphQLOperation"] = operationName ?? "anonymous" });
        using var telemetry = new OperationTelemetry(operation?.Operation.ToString().ToLowerInvariant() ?? "unknown", operationName);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.OperationTimeoutSeconds));
        ExecutionResult result;
        try
        {
            result = await executer.ExecuteAsync(new ExecutionOptions
            {
                Query = request.Query,
                DocumentId = request.DocumentId,
                Document = persisted.MayPassParsedDocument(request.DocumentId) ? document : null,
                OperationName = request.OperationName,
                Variables = request.Variables,
                Extensions = request.Extensions,
                RequestServices = http.RequestServices,
                User = caller,
                CancellationToken = deadline.Token,
            });
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            await WriteErrorAsync(http, responseType, new(504, "OPERATION_TIMEOUT",
                $"The operation did not finish within {options.Value.OperationTimeoutSeconds} s and was cancelled."));
            return;
        }

        telemetry.Complete(result);
        http.Response.Headers["Server-Timing"] = telemetry.ServerTiming();

        // Executed is false when the request failed before execution: parse, validation or variable coercion.
        http.Response.StatusCode = responseType == GraphQLMediaTypes.GraphQLResponse && !result.Executed ? 400 : 200;
        http.Response.ContentType = responseType + "; charset=utf-8";
        await serializer.WriteAsync(http.Response.Body, result, http.RequestAborted);
    }

    private async Task<(GraphQLRequest?, GraphQLRequestError?)> ReadPostAsync(HttpContext http)
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

        return reader.FromJsonBody(body.WrittenMemory);
    }

    /// <summary>Parsed once here to see the operation type; a parse error is left for the executer to report.</summary>
    internal static GraphQLDocument? TryParse(string query)
    {
        try
        {
            return Parser.Parse(query, new ParserOptions { Ignore = IgnoreOptions.Comments });
        }
        catch (GraphQLSyntaxErrorException)
        {
            return null;
        }
        catch (GraphQLMaxDepthExceededException)
        {
            return null;
        }
    }

    internal static GraphQLOperationDefinition? SelectOperation(GraphQLDocument document, string? operationName)
    {
        var operations = document.Definitions.OfType<GraphQLOperationDefinition>().ToList();
        return operationName is null
            ? (operations.Count == 1 ? operations[0] : null)
            : operations.FirstOrDefault(o => o.Name?.StringValue == operationName);
    }

    private async Task WriteErrorAsync(HttpContext http, string responseType, GraphQLRequestError error)
    {
        http.Response.StatusCode = error.Status;
        http.Response.ContentType = responseType + "; charset=utf-8";
        var result = new ExecutionResult { Errors = [new ExecutionError(error.Message) { Code = error.Code }] };
        await serializer.WriteAsync(http.Response.Body, result, http.RequestAborted);
    }
}

public static class GraphQLHttpExtensions
{
    public static IServiceCollection AddGraphQLHttp(this IServiceCollection services)
    {
        services.AddOptions<GraphQLHttpOptions>()
            .BindConfiguration(GraphQLHttpOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<GraphQLHttpRequestReader>();
        services.AddSingleton<GraphQLHttpEndpoint>();
        return services;
    }

    /// <summary>GraphQL over HTTP at <paramref name="path"/>, and GraphQL over WebSocket when a client upgrades there.</summary>
    public static IEndpointConventionBuilder MapGraphQLHttp(this IEndpointRouteBuilder endpoints, string path) =>
        endpoints.Map(path, context => context.WebSockets.IsWebSocketRequest
            ? context.HandleGraphQLWebSocketAsync()
            : context.RequestServices.GetRequiredService<GraphQLHttpEndpoint>().HandleAsync(context))
        .RequireRateLimiting(RateLimitPolicy);

    public const string RateLimitPolicy = "graphql-per-client";

    /// <summary>A token bucket per client (the signed-in user, else the IP address); over it: 429 with a GraphQL error.</summary>
    public static IServiceCollection AddGraphQLRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(RateLimitPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<GraphQLHttpOptions>>().Value;
                var client = context.User.Identity?.Name ?? context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return settings.RateLimitPerSecond == 0
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = settings.RateLimitBurst,
                        TokensPerPeriod = settings.RateLimitPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.ContentType = "application/json; charset=utf-8";
                await rejected.HttpContext.Response.WriteAsync(
                    "{\"errors\":[{\"message\":\"Too many requests from this client; slow down.\",\"extensions\":{\"code\":\"RATE_LIMITED\"}}]}",
                    cancellationToken);
            };
        });
}

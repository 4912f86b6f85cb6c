using GraphQL;
using GraphQL.Transport;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLSse;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Schema.Execution;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>
/// GraphQL over HTTP (the GraphQL-over-HTTP spec) on GraphQL.NET: POST with a JSON body, GET with query
/// parameters (queries only), response media type negotiated from Accept. With
/// <c>application/graphql-response+json</c> a request that cannot execute (bad document, failed validation or
/// variables) is a 400 without <c>data</c>; with legacy <c>application/json</c> it is a 200, as the spec requires.
/// </summary>
internal sealed class GraphQLHttpEndpoint(
    IGraphQLTextSerializer serializer,
    GraphQLHttpRequestReader reader,
    GatewayAuthentication authentication,
    GraphQLExecutionPipeline pipeline)
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

        var operation = new OperationRequest("http", caller, http.Connection.RemoteIpAddress, http.RequestServices, SafeMethod: isGet, StreamsAllowed: false);
        var outcome = await pipeline.ExecuteAsync(
            operation,
            () => reader.FromHttpRequestAsync(http),
            http.RequestAborted);
        switch (outcome)
        {
            case OperationRefused refused:
                if (refused.Allow is { } allow)
                {
                    http.Response.Headers.Allow = allow;
                }

                if (refused is OperationRateLimited limited)
                {
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await WriteErrorAsync(http, responseType, new(refused.Status, refused.Code, refused.Message));
                break;
            case OperationExecuted { Result: var result } executed:
                http.Response.Headers["Server-Timing"] = executed.ServerTiming;
                // Executed is false when the request failed before execution: parse, validation or variable coercion.
                http.Response.StatusCode = responseType == GraphQLMediaTypes.GraphQLResponse && !result.Executed ? 400 : 200;
                http.Response.ContentType = responseType + "; charset=utf-8";
                await ResponseBody.WriteAsync(serializer, http.Response.BodyWriter, result, http.RequestAborted);
                break;
        }
    }

    /// <summary>A coded error as GraphQL over HTTP answers it (the event stream too, before it is accepted).</summary>
    internal async Task WriteErrorAsync(HttpContext http, string responseType, GraphQLRequestError error)
    {
        http.Response.StatusCode = error.Status;
        http.Response.ContentType = responseType + "; charset=utf-8";
        var result = new ExecutionResult { Errors = [new ExecutionError(error.Message) { Code = error.Code }] };
        await ResponseBody.WriteAsync(serializer, http.Response.BodyWriter, result, http.RequestAborted);
    }
}

public static class GraphQLHttpExtensions
{
    public static IServiceCollection AddGraphQLHttp(this IServiceCollection services)
    {
        services.AddSingleton<GraphQLHttpRequestReader>();
        services.AddSingleton<GraphQLHttpEndpoint>();
        return services;
    }

    /// <summary>
    /// GraphQL over HTTP at <paramref name="path"/>; GraphQL over WebSocket when a client upgrades there, and GraphQL over
    /// SSE when it asks for <c>text/event-stream</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapGraphQLHttp(this IEndpointRouteBuilder endpoints, string path) =>
        endpoints.Map(path, context => context.WebSockets.IsWebSocketRequest ? context.HandleGraphQLWebSocketAsync()
            : GraphQLMediaTypes.PrefersEventStream(context.Request.GetTypedHeaders().Accept) ? context.HandleGraphQLSseAsync()
            : context.RequestServices.GetRequiredService<GraphQLHttpEndpoint>().HandleAsync(context));
}

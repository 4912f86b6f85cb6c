using GraphQL;
using GraphQL.Transport;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.GraphQLSse;

/// <summary>
/// GraphQL over Server-Sent Events, the graphql-sse protocol in its distinct connections mode: a GET or POST to the
/// GraphQL path asking for <c>text/event-stream</c> is one operation (a subscription, query or mutation); its results
/// come as <c>next</c> events and a <c>complete</c> ends the stream; the client ends a subscription by closing the
/// connection. The operation runs through the <see cref="GraphQLExecutionPipeline"/> like on every transport: a
/// refusal (rate, unreadable request, limits, timeout) comes, as the protocol requires, as a <c>next</c> with the
/// errors on an accepted stream. A stream ends with a <c>TOKEN_EXPIRED</c> error when the caller's token does
/// (<see cref="ConnectionExpiry"/>, the WebSocket's rule). The single connection mode (PUT reservations) is not
/// offered: over HTTP/2 distinct streams share one connection anyway.
/// </summary>
internal sealed class GraphQLSseEndpoint(
    GraphQLExecutionPipeline pipeline,
    GraphQLHttpRequestReader reader,
    GraphQLHttpEndpoint httpEndpoint,
    IGraphQLTextSerializer serializer,
    GatewayAuthentication authentication,
    IOptions<GraphQLSseOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<GraphQLSseEndpoint> logger)
{
    public const string TokenExpired = "TOKEN_EXPIRED";

    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var isGet = HttpMethods.IsGet(http.Request.Method);
        // Before a stream is accepted, answers are GraphQL over HTTP's (the client reports the status).
        if (!isGet && !HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.Headers.Allow = "GET, POST";
            await httpEndpoint.WriteErrorAsync(http, GraphQLMediaTypes.Json, new(405, "METHOD_NOT_ALLOWED", "An event stream is opened with GET or POST (distinct connections mode)."));
            return;
        }

        if (authentication.CallerOf(http) is not { } caller)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await httpEndpoint.WriteErrorAsync(http, GraphQLMediaTypes.Json, new(401, "UNAUTHENTICATED", "A valid bearer token is required."));
            return;
        }

        using var connection = new GraphQLSseConnection(http, options.Value, logger, lifetime.ApplicationStopping);
        using var expiry = new ConnectionExpiry(time);
        expiry.Set(ConnectionExpiry.Of(caller));
        IDisposable? subscription = null;
        try
        {
            if (expiry.Expired)
            {
                // Accepted within the validator's clock skew, but past its exp already.
                await connection.StartAsync();
                EndExpired(connection);
            }
            else
            {
                var outcome = await pipeline.ExecuteAsync(
                    new OperationRequest("sse", caller, http.Connection.RemoteIpAddress, http.RequestServices, SafeMethod: isGet, StreamsAllowed: true),
                    async () => ResumeFromLastEventId(http, await reader.FromHttpRequestAsync(http)),
                    connection.Closing);
                subscription = await StartAsync(http, connection, expiry, outcome);
            }

            var expired = EndWhenExpiredAsync(connection, expiry);
            await connection.RunAsync();
            await expired;
        }
        catch (OperationCanceledException) when (connection.Closing.IsCancellationRequested)
        {
            // the client left (or the host stopped) before the operation was under way
        }
        finally
        {
            subscription?.Dispose();
        }
    }

    /// <summary>Accepts the stream and maps the pipeline's outcome to events; the subscription to its events, if it has some.</summary>
    private async Task<IDisposable?> StartAsync(HttpContext http, GraphQLSseConnection connection, ConnectionExpiry expiry, OperationOutcome outcome)
    {
        switch (outcome)
        {
            case OperationRefused refused:
                if (refused is OperationRateLimited limited)
                {
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await connection.StartAsync();
                connection.End(Error(refused.Code, refused.Message), SseMessage.Complete);
                return null;
            case OperationExecuted executed:
                http.Response.Headers["Server-Timing"] = executed.ServerTiming;
                await connection.StartAsync();
                if (executed.Result is { Executed: true, Streams: { Count: > 0 } streams })
                {
                    return streams.Values.First().Subscribe(new StreamObserver(this, connection, expiry));
                }

                // A query or mutation, or an operation that never ran (syntax, validation, variables): one result.
                connection.End(Next(executed.Result), SseMessage.Complete);
                return null;
            default:
                throw new InvalidOperationException("Unknown outcome " + outcome.GetType().Name);
        }
    }

    /// <summary>When the caller's token expires: a final error, then complete, and the response ends.</summary>
    private async Task EndWhenExpiredAsync(GraphQLSseConnection connection, ConnectionExpiry expiry)
    {
        try
        {
            await expiry.WaitAsync(connection.Closing);
            EndExpired(connection);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void EndExpired(GraphQLSseConnection connection) =>
        connection.End(Error(TokenExpired, "The token this stream was opened with has expired; open it again with a new one."), SseMessage.Complete);

    /// <summary>
    /// A reconnecting client's <c>Last-Event-ID</c> (Server-Sent Events' own way to resume) becomes the request's
    /// <see cref="ChangeSubscription.LastEventIdExtension"/>, which the subscription reads whatever the transport.
    /// </summary>
    private static (GraphQLRequest? Request, GraphQLRequestError? Error) ResumeFromLastEventId(HttpContext http, (GraphQLRequest? Request, GraphQLRequestError? Error) read)
    {
        var last = http.Request.Headers["Last-Event-ID"].ToString();
        if (read.Request is { } request && last.Length > 0 && request.Extensions?.ContainsKey(ChangeSubscription.LastEventIdExtension) != true)
        {
            var extensions = request.Extensions?.ToDictionary() ?? [];
            extensions[ChangeSubscription.LastEventIdExtension] = last;
            request.Extensions = new Inputs(extensions);
        }

        return read;
    }

    /// <summary>A result as a <c>next</c> event; a subscription event's id (its result's extension) is the event's <c>id</c>.</summary>
    private SseMessage Next(ExecutionResult result) => SseMessage.Next(
        serializer.Serialize(result),
        result.Extensions?.GetValueOrDefault(ChangeSubscription.EventIdExtension) as string);

    private SseMessage Error(string code, string message) => Next(new ExecutionResult { Errors = [new ExecutionError(message) { Code = code }] });

    /// <summary>A subscription's events as <c>next</c> events; its end (or failure) ends the stream.</summary>
    private sealed class StreamObserver(GraphQLSseEndpoint endpoint, GraphQLSseConnection connection, ConnectionExpiry expiry) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            // Between the expiry and its timer: nothing more is delivered.
            if (expiry.Expired)
            {
                endpoint.EndExpired(connection);
                return;
            }

            connection.Send(endpoint.Next(value));
        }

        public void OnError(Exception error) =>
            connection.End(endpoint.Error("SUBSCRIPTION_FAILED", "The subscription failed."), SseMessage.Complete);

        public void OnCompleted() => connection.End(SseMessage.Complete);
    }
}

public static class GraphQLSseExtensions
{
    public static IServiceCollection AddGraphQLSse(this IServiceCollection services)
    {
        services.AddOptions<GraphQLSseOptions>()
            .BindConfiguration(GraphQLSseOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<GraphQLSseEndpoint>();
        return services;
    }

    internal static Task HandleGraphQLSseAsync(this HttpContext context) =>
        context.RequestServices.GetRequiredService<GraphQLSseEndpoint>().HandleAsync(context);
}

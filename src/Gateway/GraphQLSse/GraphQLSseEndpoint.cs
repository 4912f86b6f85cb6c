using GraphQL;
using GraphQL.Transport;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Gateway.GraphQLSse;

/// <summary>
/// GraphQL over Server-Sent Events, the graphql-sse protocol in its distinct connections mode: a GET or POST to the
/// GraphQL path asking for <c>text/event-stream</c> is one operation (a subscription, query or mutation); its results
/// come as <c>next</c> events and a <c>complete</c> ends the stream; the client ends a subscription by closing the
/// connection. The operation runs through the <see cref="GraphQLExecutionPipeline"/> like on every transport (by way of
/// <see cref="StreamingOperations"/>, as over WebSocket): a
/// refusal (rate, unreadable request, limits, timeout) comes, as the protocol requires, as a <c>next</c> with the
/// errors on an accepted stream. A stream ends with a <c>TOKEN_EXPIRED</c> error when the caller's token does
/// (<see cref="ConnectionExpiry"/>, the WebSocket's rule). A subscription event's <c>next</c> carries its id in the
/// change stream as the event's <c>id</c>; a client that reconnects with it as <c>Last-Event-ID</c> gets what it
/// missed first (<see cref="ChangeSubscription{T}"/>). The single connection mode (PUT reservations) is not
/// offered: over HTTP/2 distinct streams share one connection anyway.
/// </summary>
internal sealed class GraphQLSseEndpoint(
    StreamingOperations streaming,
    GraphQLHttpRequestReader reader,
    GraphQLHttpEndpoint httpEndpoint,
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
        var stream = new StreamSink(http, connection);
        IDisposable? subscription = null;
        try
        {
            if (expiry.Expired)
            {
                // Accepted within the validator's clock skew, but past its exp already.
                await connection.StartAsync();
                stream.Expired();
            }
            else
            {
                subscription = await streaming.RunAsync(
                    new OperationRequest("sse", caller, http.Connection.RemoteIpAddress, http.RequestServices, SafeMethod: isGet, StreamsAllowed: true),
                    async () => ResumeFromLastEventId(http, await reader.FromHttpRequestAsync(http)),
                    stream,
                    expiry,
                    connection.Closing);
            }

            var expired = EndWhenExpiredAsync(stream, connection, expiry);
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

    /// <summary>When the caller's token expires: a final error, then complete, and the response ends.</summary>
    private static async Task EndWhenExpiredAsync(StreamSink stream, GraphQLSseConnection connection, ConnectionExpiry expiry)
    {
        try
        {
            await expiry.WaitAsync(connection.Closing);
            stream.Expired();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// One operation's results as events: the stream is accepted once the pipeline has decided (so its headers can
    /// say Retry-After or Server-Timing), every result a <c>next</c>, errors a <c>next</c> with them, and the end a <c>complete</c>.
    /// </summary>
    private sealed class StreamSink(HttpContext http, GraphQLSseConnection connection) : IOperationSink
    {
        public async ValueTask StartAsync(OperationOutcome outcome)
        {
            switch (outcome)
            {
                case OperationRateLimited limited:
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case OperationExecuted executed:
                    http.Response.Headers["Server-Timing"] = executed.ServerTiming;
                    break;
            }

            await connection.StartAsync();
        }

        public void Next(SerializedResult result) => connection.Send(SseMessage.Next(result));

        public void Error(string errors) => connection.End(SseMessage.Next(StreamingOperations.ResultOf(errors)), SseMessage.Complete);

        public void Complete() => connection.End(SseMessage.Complete);

        public void Expired() => Error(StreamingOperations.Errors(TokenExpired, "The token this stream was opened with has expired; open it again with a new one."));
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

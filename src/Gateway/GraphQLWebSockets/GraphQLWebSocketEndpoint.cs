using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.Streaming;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>
/// GraphQL over WebSocket with the graphql-transport-ws subprotocol (the graphql-ws library's protocol): the origin
/// and subprotocol checked at the upgrade, then each socket is a <see cref="WebSocketConnection"/> (I/O) under a
/// <see cref="GraphQLTransportWsServer"/> (the protocol), its operations run through the pipeline like SSE's.
/// </summary>
internal sealed class GraphQLWebSocketEndpoint
{
    public const string SubProtocol = "graphql-transport-ws";

    private readonly GraphQLExecutionPipeline _pipeline;
    private readonly GraphQLHttpRequestReader _reader;
    private readonly StreamingOperations _streaming;
    private readonly IWebSocketConnectionInitHandler _initHandler;
    private readonly IOptions<GraphQLWebSocketOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GraphQLWebSocketEndpoint> _logger;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<WebSocketConnection, byte> _open = new();

    public GraphQLWebSocketEndpoint(
        GraphQLExecutionPipeline pipeline,
        GraphQLHttpRequestReader reader,
        StreamingOperations streaming,
        IWebSocketConnectionInitHandler initHandler,
        IOptions<GraphQLWebSocketOptions> options,
        TimeProvider time,
        ILogger<GraphQLWebSocketEndpoint> logger,
        IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        (_pipeline, _reader, _streaming, _initHandler, _options, _time, _logger) = (pipeline, reader, streaming, initHandler, options, time, logger);
        // Shutting down: say goodbye (1001) so clients reconnect elsewhere, and let the host finish.
        lifetime.ApplicationStopping.Register(() => Task.WaitAll([.. _open.Keys.Select(c => c.CloseAsync(1001, "Server shutting down"))], TimeSpan.FromSeconds(5)));
    }

    public int Connections => _open.Count;

    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!http.RequestServices.GetRequiredService<Scheduling.Gateway.Cors.WebSocketOriginPolicy>().Allows(http.Request))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(
                """{"errors":[{"message":"WebSocket connections are not accepted from this origin.","extensions":{"code":"ORIGIN_NOT_ALLOWED"}}]}""",
                http.RequestAborted);
            return;
        }

        if (!http.WebSockets.WebSocketRequestedProtocols.Contains(SubProtocol))
        {
            using var refused = await http.WebSockets.AcceptWebSocketAsync();
            await refused.CloseOutputAsync((System.Net.WebSockets.WebSocketCloseStatus)4406, "Subprotocol not acceptable", http.RequestAborted);
            return;
        }

        var settings = _options.Value;
        using var socket = await http.WebSockets.AcceptWebSocketAsync(SubProtocol);
        using var connection = new WebSocketConnection(socket, http, settings.SendQueueLength, settings.MaxMessageBytes, _logger);
        using var server = new GraphQLTransportWsServer(
            connection, http, _initHandler, new SocketOperationRunner(http, _reader, _pipeline, _streaming), settings, _time, _logger);
        _open.TryAdd(connection, 0);
        try
        {
            var timers = server.RunTimersAsync();
            await connection.RunAsync(server.ReceiveAsync);
            server.Dispose();
            await timers;
        }
        finally
        {
            _open.TryRemove(connection, out _);
        }
    }
}

public static class GraphQLWebSocketExtensions
{
    public static IServiceCollection AddGraphQLWebSockets(this IServiceCollection services)
    {
        services.AddOptions<GraphQLWebSocketOptions>()
            .BindConfiguration(GraphQLWebSocketOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IWebSocketConnectionInitHandler, AcceptingConnectionInitHandler>();
        services.AddSingleton<GraphQLWebSocketEndpoint>();
        return services;
    }

    internal static Task HandleGraphQLWebSocketAsync(this HttpContext context) =>
        context.RequestServices.GetRequiredService<GraphQLWebSocketEndpoint>().HandleAsync(context);
}

using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using GraphQL;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLHttp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Scheduling.Gateway.GraphQLWebSockets;

/// <summary>Bound from the <c>WebSockets</c> section.</summary>
public sealed class GraphQLWebSocketOptions : IValidatableObject
{
    public const string SectionName = "WebSockets";

    /// <summary>A client must send connection_init within this time, or is closed with 4408.</summary>
    [Range(1, 300)]
    public int ConnectionInitWaitTimeoutSeconds { get; set; } = 10;

    /// <summary>The server pings acknowledged clients this often; 0 turns it off.</summary>
    [Range(0, 600)]
    public int KeepAliveSeconds { get; set; } = 12;

    /// <summary>Messages queued for one client before it counts as not reading and is closed.</summary>
    [Range(1, 1_000_000)]
    public int SendQueueLength { get; set; } = 1000;

    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Operations (queries, mutations, subscriptions) one socket may have running at once; more get a TOO_MANY_OPERATIONS error.</summary>
    [Range(1, 10_000)]
    public int MaxOperationsPerSocket { get; set; } = 100;

    /// <summary>Active subscriptions on one socket (they count as operations too); more get a TOO_MANY_SUBSCRIPTIONS error.</summary>
    [Range(1, 10_000)]
    public int MaxSubscriptionsPerSocket { get; set; } = 50;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxSubscriptionsPerSocket > MaxOperationsPerSocket)
        {
            yield return new ValidationResult(
                $"WebSockets:MaxSubscriptionsPerSocket ({MaxSubscriptionsPerSocket}) cannot exceed WebSockets:MaxOperationsPerSocket ({MaxOperationsPerSocket}): subscriptions are operations.",
                [nameof(MaxSubscriptionsPerSocket)]);
        }
    }
}

/// <summary>Decides whether a connection_init is accepted (4403 otherwise); where WebSocket clients authenticate.</summary>
public interface IWebSocketConnectionInitHandler
{
    ValueTask<bool> AcceptAsync(HttpContext context, JsonElement? payload, CancellationToken cancellationToken);

    /// <summary>
    /// A <c>ping</c> on an acknowledged connection whose payload may carry new credentials for the same caller (see
    /// <see cref="CredentialRenewal"/>); when renewed, <c>context.User</c> is the new principal. By default pings renew nothing.
    /// </summary>
    ValueTask<CredentialRenewal> RenewAsync(HttpContext context, JsonElement payload, CancellationToken cancellationToken) =>
        ValueTask.FromResult(CredentialRenewal.None);
}

/// <summary>What a ping's payload did to a connection's credentials.</summary>
public enum CredentialRenewal
{
    /// <summary>It carried none: an ordinary ping.</summary>
    None,

    /// <summary>Valid credentials for the same caller: they replace the old ones (and their expiry).</summary>
    Renewed,

    /// <summary>Invalid credentials, or another caller's: the connection is closed with 4403.</summary>
    Refused,
}

/// <summary>Accepts every connection: the default where the host registers no handler of its own.</summary>
public sealed class AcceptingConnectionInitHandler : IWebSocketConnectionInitHandler
{
    public ValueTask<bool> AcceptAsync(HttpContext context, JsonElement? payload, CancellationToken cancellationToken) => ValueTask.FromResult(true);
}

/// <summary>GraphQL over WebSocket with the graphql-transport-ws subprotocol (the graphql-ws library's protocol).</summary>
internal sealed partial class GraphQLWebSocketEndpoint
{
    public const string SubProtocol = "graphql-transport-ws";

    private readonly GraphQLExecutionPipeline pipeline;
    private readonly GraphQLHttpRequestReader reader;
    private readonly IGraphQLTextSerializer serializer;
    private readonly IWebSocketConnectionInitHandler initHandler;
    private readonly IOptions<GraphQLWebSocketOptions> options;
    private readonly ILogger<GraphQLWebSocketEndpoint> logger;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<GraphQLWebSocketConnection, byte> _open = new();

    public GraphQLWebSocketEndpoint(
        GraphQLExecutionPipeline pipeline,
        GraphQLHttpRequestReader reader,
        IGraphQLTextSerializer serializer,
        IWebSocketConnectionInitHandler initHandler,
        IOptions<GraphQLWebSocketOptions> options,
        ILogger<GraphQLWebSocketEndpoint> logger,
        IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        this.pipeline = pipeline;
        this.reader = reader;
        this.serializer = serializer;
        this.initHandler = initHandler;
        this.options = options;
        this.logger = logger;
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

        using var socket = await http.WebSockets.AcceptWebSocketAsync(SubProtocol);
        await using var connection = new GraphQLWebSocketConnection(socket, http, pipeline, reader, serializer, initHandler, options.Value, logger);
        _open.TryAdd(connection, 0);
        try
        {
            await connection.RunAsync();
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

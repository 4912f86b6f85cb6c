using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.PersistedDocuments;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Execution;
using Scheduling.Schema.Telemetry;

namespace Scheduling.Gateway.Execution;

/// <summary>
/// The one way an operation runs, whatever transport it came by (HTTP, WebSocket, SSE): the caller's rate, the
/// request read, parsed once, persisted documents, what the transport can carry, then validation (GraphQL's rules
/// behind <see cref="OperationLimitsRule"/>: fields, directives, FHIR searches; errors capped by
/// <see cref="ErrorCap"/>), the caller for authorization, the deadline, the log scope and telemetry. Transports only
/// map the <see cref="OperationOutcome"/> to their wire format.
/// </summary>
internal sealed class GraphQLExecutionPipeline(
    IDocumentExecuter<ISchema> executer,
    PersistedDocumentStore persisted,
    ValidatedDocuments validated,
    CallerRateLimiter rateLimiter,
    CallerSubscriptions subscriptions,
    SubscriptionGroups groups,
    IOptions<GraphQLOptions> options,
    IHostEnvironment environment,
    ILogger<GraphQLExecutionPipeline> logger)
{
    /// <param name="aborted">The transport gave up (client gone, socket closed, operation completed by the client).</param>
    public Task<OperationOutcome> ExecuteAsync(OperationRequest operation, GraphQLRequestSource read, CancellationToken aborted) =>
        ExecuteAsync(operation, Parsing(read), aborted);

    /// <summary>A source that reads the request and then parses it (<see cref="Parse"/>).</summary>
    public ParsedRequestSource Parsing(GraphQLRequestSource read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return async () =>
        {
            var (request, error) = await read();
            return error is null ? (Parse(request!), null) : (null, error);
        };
    }

    /// <summary>The same for a request the transport has already read and parsed (<see cref="Parse"/>) to decide on it.</summary>
    public async Task<OperationOutcome> ExecuteAsync(OperationRequest operation, ParsedRequestSource read, CancellationToken aborted)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(read);
        if (!rateLimiter.TryAcquire(operation.Caller, operation.ClientAddress))
        {
            return new OperationRateLimited(TimeSpan.FromSeconds(1));
        }

        var (parsed, error) = await read();
        if (error is not null)
        {
            return new OperationRefused(error.Status, error.Code, error.Message);
        }

        var (request, document, selected) = parsed!;
        if (operation.SafeMethod && selected is not null &&
            (selected.Operation == OperationType.Mutation || (selected.Operation == OperationType.Subscription && !operation.StreamsAllowed)))
        {
            // A GET must be safe: mutations only over POST (or the WebSocket); a subscription over GET only as an event stream.
            return new OperationRefused(405, "METHOD_NOT_ALLOWED", $"A {selected.Operation.ToString().ToLowerInvariant()} needs POST.") { Allow = "POST" };
        }

        if (!operation.StreamsAllowed && selected?.Operation == OperationType.Subscription)
        {
            return new OperationRefused(400, "SUBSCRIPTION_NEEDS_STREAM", "Subscriptions are served over WebSocket (graphql-transport-ws) or as an event stream (Accept: text/event-stream) at this path.");
        }

        var operationName = request.OperationName ?? selected?.Name?.StringValue;
        using var logScope = logger.BeginScope(new Dictionary<string, object?> { ["GraphQLOperation"] = operationName ?? "anonymous", ["GraphQLTransport"] = operation.Transport });
        using var telemetry = new OperationTelemetry(selected?.Operation.ToString().ToLowerInvariant() ?? "unknown", operationName);
        var seconds = options.Value.OperationTimeoutSeconds;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        // A subscription's token lives as long as its stream: its events are not cut off at the deadline.
        if (selected?.Operation != OperationType.Subscription)
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        }

        // A subscription holds one of its caller's places (across every connection) and one of the instance's for as long as it runs.
        var (place, refused) = selected?.Operation == OperationType.Subscription ? subscriptions.Take(operation.Caller, operation.ClientAddress) : (null, null);
        if (refused is not null)
        {
            return refused;
        }

        ExecutionResult result;
        try
        {
            OperationExecution execute = (services, extensions, token) => executer.ExecuteAsync(new ExecutionOptions
            {
                Query = request.Query,
                DocumentId = request.DocumentId,
                Document = persisted.MayPassParsedDocument(request.DocumentId) ? document : null,
                OperationName = request.OperationName,
                Variables = request.Variables,
                Extensions = extensions,
                RequestServices = services,
                User = operation.Caller,
                CancellationToken = token,
            });
            // Identical subscribers share one execution (SubscriptionGroups); everything else runs as itself.
            result = place is not null
                ? await groups.ExecuteAsync(request, operation.Caller, operation.Services, execute, deadline.Token)
                : await execute(operation.Services, request.Extensions, deadline.Token);
            if (place is not null && result.Streams is { Count: > 0 } streams)
            {
                foreach (var name in streams.Keys.ToList())
                {
                    streams[name] = CallerSubscriptions.Holding(streams[name], place);
                }

                place = null; // handed to the stream
            }
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return new OperationTimedOut(seconds);
        }
        finally
        {
            place?.Dispose();
        }

        telemetry.Complete(result);
        return new OperationExecuted(result, telemetry.ServerTiming(detailed: InternalsVisibility.For(operation.Caller, environment)));
    }

    /// <summary>
    /// The request's document (its text, or the persisted one its id names) parsed (once per text while it is kept as
    /// validated: <see cref="ValidatedDocuments"/>), and the operation it selects.
    /// </summary>
    public ParsedRequest Parse(GraphQLRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = request.Query ?? persisted.Find(request.DocumentId);
        var document = text is null ? null : validated.Find(text, request.OperationName)?.Document ?? TryParse(text);
        return new ParsedRequest(request, document, document is null ? null : SelectOperation(document, request.OperationName));
    }

    /// <summary>A parse error is left for the executer to report.</summary>
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

    /// <summary>The operation named, or the only one when none is named; null when there is no such one.</summary>
    internal static GraphQLOperationDefinition? SelectOperation(GraphQLDocument document, string? operationName)
    {
        GraphQLOperationDefinition? selected = null;
        foreach (var definition in document.Definitions)
        {
            if (definition is not GraphQLOperationDefinition operation)
            {
                continue;
            }

            if (operationName is not null)
            {
                if (operation.Name?.StringValue == operationName)
                {
                    return operation;
                }
            }
            else if (selected is not null)
            {
                return null; // more than one, none named
            }
            else
            {
                selected = operation;
            }
        }

        return selected;
    }
}

public static class GraphQLExecutionPipelineExtensions
{
    public static IServiceCollection AddGraphQLExecutionPipeline(this IServiceCollection services)
    {
        services.AddSingleton<CallerRateLimiter>();
        services.AddOptions<SubscriptionOptions>()
            .BindConfiguration(SubscriptionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<CallerSubscriptions>();
        services.AddSingleton<GraphQLExecutionPipeline>();
        services.AddSingleton<ValidatedDocuments>();
        services.AddSingleton<GraphQL.DI.IConfigureExecution, ValidatedDocumentStep>();
        services.AddSingleton<StreamingOperations>();
        services.AddSingleton<SubscriptionGroups>();
        services.AddScoped<Scheduling.Schema.Subscriptions.SubscriptionReplay>();
        services.AddKnownProxies();
        return services;
    }
}

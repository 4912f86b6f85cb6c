using System.Net;
using System.Security.Claims;
using GraphQL.Transport;
using GraphQLParser.AST;
using Scheduling.Gateway.GraphQLHttp;

namespace Scheduling.Gateway.Execution;

/// <summary>Reads the transport's request: the GraphQL request, or a coded error saying why it cannot be read.</summary>
internal delegate ValueTask<(GraphQLRequest? Request, GraphQLRequestError? Error)> GraphQLRequestSource();

/// <summary>The request read and parsed (by the pipeline, or by a transport that had to look at it first), or why it cannot be read.</summary>
internal delegate ValueTask<(ParsedRequest? Request, GraphQLRequestError? Error)> ParsedRequestSource();

/// <summary>
/// A request with its document parsed once (null when it does not parse: the executer reports why) and the operation
/// it selects (null when none matches).
/// </summary>
internal sealed record ParsedRequest(GraphQLRequest Request, GraphQLDocument? Document, GraphQLOperationDefinition? Selected)
{
    public bool IsSubscription => Selected?.Operation == OperationType.Subscription;
}

/// <summary>One operation as a transport hands it to the pipeline.</summary>
/// <param name="Transport">"http", "websocket", "sse", for telemetry.</param>
/// <param name="Caller">Who asks: the principal the transport authenticated (or the anonymous one, where allowed).</param>
/// <param name="ClientAddress">The client's address (X-Forwarded-For from known proxies already applied).</param>
/// <param name="Services">The operation's own scope (its DataLoaders).</param>
/// <param name="SafeMethod">A safe method (GET): mutations are refused with 405, and so are subscriptions where the transport cannot stream them.</param>
/// <param name="StreamsAllowed">Whether the transport can deliver a subscription's events.</param>
internal sealed record OperationRequest(
    string Transport, ClaimsPrincipal Caller, IPAddress? ClientAddress, IServiceProvider Services, bool SafeMethod, bool StreamsAllowed);
